"""Read a config file and compose its YAML within fixed limits.

A tickpath config is a few kilobytes of plain mappings, lists and scalars (the lab's example:
about 2 KB, 110 nodes, 4 levels). PyYAML alone follows aliases into an exponential graph
("billion laughs"), recurses once per nesting level until RecursionError, raises ReaderError on
a NUL and ValueError on a scalar it cannot convert, and needs tens of seconds of CPU for a
megabyte of flow-style lists. So, before and while composing:

- MAX_BYTES: a larger file is refused before it is parsed (and never read whole).
- Only the characters YAML allows (c-printable): a NUL or another control character is an
  error naming its line and column.
- Anchors (&a) and aliases (*a) are refused outright, at their line. A config needs neither,
  and without them the composed nodes are a tree no larger than the text, so every later pass
  (line numbers and duplicate keys in validate.py, pydantic) is linear in the file. Bounding the
  expanded size instead would keep a feature no config uses and still hand a shared graph to
  every later pass.
- MAX_DEPTH levels of nested mappings and lists, counted while composing, long before PyYAML's
  recursive composer gets near Python's recursion limit.
- MAX_NODES nodes: composing stops there, which bounds the time and memory of every later pass
  whatever the file's shape (the parser reads the text only as far as the composer asks).
- A scalar its constructor cannot convert (a 5000-digit int, 2001-02-30, `!!float abc`) is an
  error at its line.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from tickpath.config.quote import clip, shown

MAX_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_NODES = 10_000

Loc = tuple[str | int, ...]

# Characters outside YAML 1.1's c-printable set: C0 controls but tab and line breaks, DEL, C1
# controls but NEL, surrogates, U+FFFE and U+FFFF.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Refused(Exception):
    """The text is refused: `message`, at `line` (1-based) inside key path `loc` when known."""

    def __init__(self, message: str, line: int | None = None, loc: Loc = ()) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.loc = loc


def _too_large(size: int | None) -> Refused:
    what = f"{size} bytes" if size is not None else f"larger than {MAX_BYTES} bytes"
    return Refused(
        f"the file is {what}: a tickpath config has at most {MAX_BYTES} bytes "
        f"({MAX_BYTES >> 20} MiB); nothing was parsed"
    )


def read_text(path: Path) -> str:
    """The UTF-8 text of `path`, reading no more than MAX_BYTES + 1 bytes; raise Refused."""
    try:
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISREG(st.st_mode) and st.st_size > MAX_BYTES:
                raise _too_large(st.st_size)
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Refused(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise _too_large(None)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise Refused(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte {column} of the line cannot "
            "be decoded (a tickpath config is UTF-8)",
            data.count(b"\n", 0, exc.start) + 1,
        ) from None


def check_text(text: str) -> None:
    """Refuse text over MAX_BYTES or with a character YAML forbids (a NUL, a control
    character), naming its line and column."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise _too_large(size)
    bad = _FORBIDDEN.search(text)
    if bad is None:
        return
    at = bad.start()
    column = at - text.rfind("\n", 0, at)
    code = ord(text[at])
    what = "a NUL character (U+0000)" if code == 0 else f"character U+{code:04X}"
    raise Refused(
        f"{what} at column {column} is not allowed in YAML (only printable characters, tabs "
        "and line breaks are)",
        text.count("\n", 0, at) + 1,
    )


def _part(index: object) -> str | int | None:
    """The key path component compose_node's (parent, index) stand for: a list index, a
    mapping key's text, or None while a key itself is being composed."""
    if isinstance(index, int):
        return index
    if isinstance(index, yaml.ScalarNode):
        return str(index.value)
    return None


class ConfigLoader(yaml.SafeLoader):
    """SafeLoader that enforces the limits above while composing (call check_text first)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._path: list[str | int | None] = []
        self._nodes = 0

    def _refuse(self, message: str, event: Any) -> Refused:
        mark = event.start_mark
        loc = tuple(p for p in self._path if p is not None)
        return Refused(f"{message} (column {mark.column + 1})", mark.line + 1, loc)

    def _admit(self, event: Any) -> None:
        if isinstance(event, yaml.AliasEvent):
            raise self._refuse(
                f"alias *{clip(str(event.anchor), 40)}: anchors and aliases are not allowed in "
                "a tickpath config; write the value out",
                event,
            )
        if getattr(event, "anchor", None) is not None:
            raise self._refuse(
                f"anchor &{clip(str(event.anchor), 40)}: anchors and aliases are not allowed "
                "in a tickpath config",
                event,
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise self._refuse(
                f"more than {MAX_NODES} YAML nodes (keys, values and list items); "
                "a tickpath config has a few hundred at most",
                event,
            )
        nests = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
        if nests and len(self._path) >= MAX_DEPTH:
            raise self._refuse(f"nested more than {MAX_DEPTH} levels deep", event)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if parent is not None:
            self._path.append(_part(index))
        try:
            self._admit(self.peek_event())  # type: ignore[no-untyped-call]  # stubs: untyped
            return super().compose_node(parent, index)
        finally:
            if parent is not None:
                self._path.pop()

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, ArithmeticError):
            kind = str(node.tag).rsplit(":", 1)[-1]
            value = f": {shown(node.value)}" if isinstance(node, yaml.ScalarNode) else ""
            raise Refused(
                f"not a valid YAML {kind}{value} (column {node.start_mark.column + 1})",
                node.start_mark.line + 1,
            ) from None
