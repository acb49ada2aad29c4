"""Plain-text tables for measurements: a header, aligned columns, numbers on the right."""

from __future__ import annotations

from typing import Sequence


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Lines of a table; the first column is left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[show(value) for value in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return [
        "  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                  for column, (cell, width) in enumerate(zip(row, widths))).rstrip()
        for row in cells
    ]


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


def format_row(cells: Sequence[object], widths: Sequence[int]) -> str:
    """One line of a table printed row by row: columns of fixed `widths`, aligned as in `format_table`."""
    return "  ".join(show(cell).ljust(width) if column == 0 else show(cell).rjust(width)
                     for column, (cell, width) in enumerate(zip(cells, widths))).rstrip()
