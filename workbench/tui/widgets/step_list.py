"""Time travel: the spec's steps (each GIVEN event, then the WHEN), one line each
with the rows it changed; moving the highlight moves the console to that step's state."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


def step_label(step: dict) -> Text:
    kind = step["message"].split(" ", 1)[0]
    counts = " ".join(f"{change['table']} {_counts(change)}" for change in step["changes"])
    if step["crashed"]:
        note, style = "crashed", "bold red"
    elif step["answer"] and step["answer"].startswith("rejected"):
        note, style = "rejected", "yellow"
    else:
        note, style = counts or "no change", "dim"
    return Text.assemble((f"{step['title']:<8}", "bold"), kind, " ", (note, style), no_wrap=True, overflow="ellipsis")


def _counts(change: dict) -> str:
    parts = [f"+{len(change['inserted'])}" if change["inserted"] else "",
             f"~{len(change['changed'])}" if change["changed"] else "",
             f"-{len(change['deleted'])}" if change["deleted"] else ""]
    return "".join(part for part in parts if part)


class StepList(OptionList):
    HELP = "The spec's steps: each GIVEN event, then the WHEN. Up and down travel in time: the console queries that step's state."

    @dataclass
    class StepChosen(Message):
        index: int

    def show_steps(self, steps: list[dict]) -> None:
        self.clear_options()
        self.add_options([Option(step_label(step), id=step["name"]) for step in steps])
        self.border_title = f"steps ({len(steps)})"
        if steps:
            self.highlighted = len(steps) - 1

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.StepChosen(event.option_index))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
