"""What the chosen step did: the event or request, its answer, and the rows it
inserted (+), changed (~, only the columns that changed) or deleted (-), per table;
a crashed step shows its traceback."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from workbench.explore.step_text import change_from_json, change_lines

_STYLES = {"+": "green", "~": "yellow", "-": "red"}


def changes_text(step: dict, traceback: str | None = None) -> Text:
    text = Text.assemble((step["title"], "bold"), "  ", step["message"], "\n")
    if step["answer"]:
        style = "red" if step["crashed"] else "yellow" if step["answer"].startswith("rejected") else ""
        text.append(f"{step['answer']}\n", style=style)
    if step["crashed"] and traceback:
        text.append(traceback.rstrip() + "\n", style="red")
    for change in step["changes"]:
        for line in change_lines(change_from_json(change)):
            mark = line.strip()[:1]
            text.append(line + "\n", style=_STYLES.get(mark, "bold") if line.startswith("  ") else "bold")
    if not step["changes"] and not step["crashed"]:
        text.append("no row changed\n", style="dim")
    text.rstrip()
    return text


class StepChanges(Static):
    def show_step(self, step: dict, traceback: str | None = None) -> None:
        self.update(changes_text(step, traceback))
