"""A failing spec's diff: expected and actual side by side, status, response,
then event by event; fields that differ highlighted, missing and extra events
marked; a crash shows its traceback."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from workbench.core.ids import show_uids
from workbench.specs.compare import Difference
from workbench.tui.diff_rows import CHANGED, EXTRA, MISSING, SAME, DiffRow, diff_rows

_ROW_STYLES = {SAME: "", CHANGED: "bold", MISSING: "bold red", EXTRA: "bold yellow"}
_STATE_WORDS = {SAME: "", CHANGED: "differs", MISSING: "missing", EXTRA: "extra"}
SIDE_BY_SIDE_MIN = 64  # narrower (an 80-column terminal), expected and actual go one under the other


def message_text(text: str, fields: set[str], style: str) -> Text:
    """The message line with each differing top-level field highlighted."""
    result = Text(text)
    for name in fields:
        start = text.find(f" {name}:")
        if start < 0:
            continue
        end = _field_end(text, start + 1)
        result.stylize(style, start + 1, end)
    return result


def _field_end(text: str, start: int) -> int:
    """Where the `name:value` beginning at `start` ends (quotes and braces respected)."""
    depth, quoted, index = 0, False, start
    while index < len(text):
        char = text[index]
        if char == '"' and text[index - 1] != "\\":
            quoted = not quoted
        elif not quoted and char == "{":
            depth += 1
        elif not quoted and char == "}":
            depth -= 1
        elif not quoted and depth == 0 and char == " ":
            return index
        index += 1
    return index


class DiffView(Static):
    def show_verdict(self, spec, verdict: dict | None) -> None:
        if verdict is None or verdict["status"] == "pass":
            self.display = False
            return
        self.display = True
        parts = []
        if verdict["status"] in ("error", "timeout"):
            parts.append(Text("crashed:", style="bold magenta"))
            parts.append(Text(verdict.get("error") or "", style="magenta"))
        else:
            differences = [Difference(d["path"], d["expected"], d["actual"]) for d in verdict["differences"]]
            parts.append(DiffRows(diff_rows(spec, differences, verdict.get("actual"))))
            parts.append(Text("\n".join(f"  {show_uids(str(d))}" for d in differences), style="bright_black"))
        self.update(Group(*parts))



class DiffRows:
    """Side by side when the pane is wide enough; otherwise each row's expected
    and actual one under the other, so no value is cut inside a word."""

    def __init__(self, rows: list[DiffRow]):
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.side_by_side() if options.max_width >= SIDE_BY_SIDE_MIN else self.stacked()

    def _texts(self, row: DiffRow) -> tuple[Text, Text]:
        expected = message_text(row.expected, row.fields, "bold reverse green")
        actual = message_text(row.actual, row.fields, "bold reverse red")
        if row.state == CHANGED and not row.fields:
            expected.stylize("green")
            actual.stylize("red")
        return expected, actual

    def side_by_side(self) -> Table:
        table = Table(expand=True, show_lines=False, box=None, padding=(0, 1))
        table.add_column("", no_wrap=True, style="bold")
        table.add_column("expected", overflow="fold")  # widths follow the content: no empty half
        table.add_column("actual", overflow="fold")
        table.add_column("", no_wrap=True)
        for row in self.rows:
            row_style = _ROW_STYLES[row.state]
            table.add_row(row.label, *self._texts(row), Text(_STATE_WORDS[row.state], style=row_style or "dim"),
                          style=row_style)
        return table

    def stacked(self) -> Group:
        lines = []
        for row in self.rows:
            lines.append(Text.assemble((row.label, "bold"), "  ", (_STATE_WORDS[row.state], _ROW_STYLES[row.state] or "dim")))
            expected, actual = self._texts(row)
            if row.state == SAME:
                lines.append(Text.assemble("    ", expected))
                continue
            lines.append(Text.assemble(("  - ", "green"), expected))
            lines.append(Text.assemble(("  + ", "red"), actual))
        return Group(*lines)
