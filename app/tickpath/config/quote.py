"""Values quoted in error messages, bounded: a hostile file must not flood the terminal."""

from __future__ import annotations

#: Characters of a value an error message shows; a longer value is cut and its size given.
SHOWN = 80


def clip(text: str, limit: int = SHOWN) -> str:
    """`text` itself when short, else its first `limit` characters and its size in bytes."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text.encode('utf-8', 'surrogatepass'))} bytes)"


def shown(value: object, limit: int = SHOWN) -> str:
    """repr() of `value` for an error message, at most `limit` characters and then
    "... (N bytes)": N is a string's size in UTF-8, or the size of another value's repr().
    A string is cut before repr(), so quoting a 10 MB value costs nothing."""
    if isinstance(value, str):
        text = repr(value[: limit + 1])
        size = len(value.encode("utf-8", "surrogatepass"))
    else:
        text = repr(value)
        size = len(text.encode("utf-8", "surrogatepass"))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({size} bytes)"
