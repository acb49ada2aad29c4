"""Tables and progress for the command line, with Rich: colours and a live bar
(time left, rates) on a terminal; plain aligned text in a pipe, no bar.

Numbers are shown the same everywhere (`show`): integers with thousands
separators, other numbers rounded to what is readable.
"""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence, TextIO

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

PIPE_WIDTH = 1000  # a pipe has no width: never wrap a table line there


def on_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def console(stream: TextIO | None = None) -> Console:
    """A Rich console on `stream` (stdout): styled on a terminal (unless NO_COLOR), plain in a pipe."""
    stream = stream or sys.stdout
    if on_terminal(stream):
        return Console(file=stream, highlight=False)
    return Console(file=stream, width=PIPE_WIDTH, color_system=None, highlight=False, emoji=False)


def show(value: object) -> str:
    """Integers with thousands separators; other numbers rounded to what is readable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], plain: bool = False,
          widths: Sequence[int] | None = None, show_header: bool = True) -> Table:
    """The first column left-aligned, the others right-aligned; `plain`: no lines, no styles.
    `widths`: the columns' least widths (so tables printed a row at a time line up)."""
    styled = Table(box=None if plain else box.SIMPLE_HEAD, pad_edge=False, show_header=show_header,
                   header_style="" if plain else "bold", show_edge=False)
    for column, header in enumerate(headers):
        styled.add_column(header, justify="left" if column == 0 else "right", no_wrap=True,
                          min_width=widths[column] if widths else None, style="" if plain or column else "cyan")
    for row in rows:
        styled.add_row(*(show(value) for value in row))
    return styled


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """The table as plain lines (what a pipe gets)."""
    out = console(io.StringIO())
    out.print(table(headers, rows, plain=True))
    return [line.rstrip() for line in out.file.getvalue().splitlines()]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], stream: TextIO | None = None) -> None:
    out = console(stream)
    out.print(table(headers, rows, plain=not out.is_terminal))


class RateColumn(ProgressColumn):
    """How fast the task advances, in `unit`s a second."""

    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task) -> Text:
        return Text(f"{task.speed:,.0f} {self.unit}/s" if task.speed else "", style="progress.data.speed")


@contextmanager
def progress(description: str, total: float | None, unit: str | None = None,
             out: Console | None = None) -> Iterator[Callable[..., None]]:
    """A live bar on a terminal (nothing in a pipe) with the percentage, time left,
    and the rate in `unit`s a second (when given) or the `note` of the last update.
    Yields `update(completed, note="", description=None, total=None)` (`total` when it was not known at first).
    `out`: the console to draw on (stderr's by default); what it prints meanwhile goes above the bar."""
    out = out or Console(file=sys.stderr, highlight=False)
    columns = [TextColumn("[progress.description]{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeRemainingColumn(), RateColumn(unit) if unit else TextColumn("{task.fields[note]}")]
    bar = Progress(*columns, console=out, transient=True, disable=not out.is_terminal)
    task = bar.add_task(description, total=total, note="")

    def update(completed: float, note: str = "", description: str | None = None, total: float | None = None) -> None:
        changes = {"description": description} if description else {}
        if total is not None:
            changes["total"] = total
        bar.update(task, completed=completed, note=note, **changes)

    with bar:
        yield update
