"""Progress bars for long control-plane work (rich.progress), quiet when not on a terminal.

    from tickpath.progress import track
    for path in track(paths, "reading results"):
        ...

The bar goes to stderr so that stdout stays machine-readable (tables, YAML). It is shown only
when stderr is a terminal and there are at least `min_items` items, unless `enabled` forces it
on or off (tests force it on with a recording console).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")


def make_progress(console: Console | None = None) -> Progress:
    """The tickpath progress bar layout: description, bar, done/total, elapsed, remaining."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )


def track(
    items: Sequence[T],
    description: str,
    *,
    enabled: bool | None = None,
    min_items: int = 2,
    console: Console | None = None,
) -> Iterator[T]:
    """Yield `items`, advancing a progress bar after each one."""
    console = console or Console(stderr=True)
    show = enabled if enabled is not None else (console.is_terminal and len(items) >= min_items)
    if not show:
        yield from items
        return
    with make_progress(console) as progress:
        task = progress.add_task(description, total=len(items))
        for item in items:
            yield item
            progress.advance(task)
