"""A failing spec's diff as rows, without Textual: expected and actual side by
side, status, response, then event by event, with the fields that differ.

Built from the spec, its differences (workbench.specs.compare) and what the
request really produced (the verdict's "actual", see report.outcome_json), so
it works the same for a verdict from this process and one from a watch worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.codes import Code
from workbench.core.ids import show_uids
from workbench.specs.compare import NOTHING, Difference, show_value

SAME, CHANGED, MISSING, EXTRA = "same", "changed", "missing", "extra"
_ITEM = re.compile(r"^(Status|Response|Events\[(\d+)\])(?:\.(\w+))?")


@dataclass
class DiffRow:
    label: str  # "Status", "Response", "Event 1", ...
    expected: str
    actual: str
    state: str  # SAME, CHANGED, MISSING, EXTRA
    fields: set[str] = field(default_factory=set)  # top-level fields that differ
    details: list[Difference] = field(default_factory=list)


def diff_rows(spec, differences: list[Difference], actual: dict | None = None) -> list[DiffRow]:
    """`actual`: the verdict's "actual" (status, response, events as text); without
    it the actual column is the expected text with the differing fields replaced."""
    by_item: dict[str, list[Difference]] = {}
    for difference in differences:
        match = _ITEM.match(difference.path)
        by_item.setdefault(match.group(1) if match else difference.path, []).append(difference)
    status = _status_row(spec, by_item.get("Status", []))
    rows = [status]
    if status.state == CHANGED and spec.then is not None:  # rejected: the expected response never came
        rows.append(DiffRow("Response", show_value(spec.then), f"{NOTHING} (rejected)", MISSING))
    elif spec.then is not None or "Response" in by_item:
        actual_response = NOTHING if actual is None or actual["response"] is None else actual["response"]
        rows.append(_message_row("Response", spec.then, by_item.get("Response", []),
                                 actual_response if actual is not None else None))
    highest = max([len(spec.events) - 1] + [int(m.group(2)) for p in by_item if (m := _ITEM.match(p)) and m.group(2)])
    for index in range(highest + 1):
        expected = spec.events[index] if index < len(spec.events) else None
        actual_event = None
        if actual is not None:
            actual_event = actual["events"][index] if index < len(actual["events"]) else NOTHING
        rows.append(_message_row(f"Event {index + 1}", expected, by_item.get(f"Events[{index}]", []), actual_event))
    return rows


def _status_row(spec, differences: list[Difference]) -> DiffRow:
    expected = (spec.error.code if spec.error else Code.OK).spec_name
    if differences:
        return DiffRow("Status", expected, show_uids(differences[0].actual), CHANGED, details=differences)
    return DiffRow("Status", expected, expected, SAME)


def _message_row(label: str, expected: Any, differences: list[Difference], actual_text: str | None) -> DiffRow:
    expected_text = show_value(expected)
    whole = next((d for d in differences if d.path.count(".") == 0), None)
    if whole is not None:  # missing, extra, or another message type altogether
        state = MISSING if whole.actual.startswith(NOTHING) else EXTRA if whole.expected.startswith(NOTHING) else CHANGED
        return DiffRow(label, whole.expected, whole.actual, state, details=differences)
    if not differences:
        return DiffRow(label, expected_text, expected_text, SAME)
    fields = {_ITEM.match(d.path).group(3) for d in differences if _ITEM.match(d.path)}
    fields.discard(None)
    if actual_text is None:
        actual_text = _with_actual_fields(expected, differences)
    return DiffRow(label, expected_text, actual_text, CHANGED, fields, differences)


def _with_actual_fields(expected: Any, differences: list[Difference]) -> str:
    """The expected message's text with each differing scalar field's actual value in its place."""
    text = show_value(expected)
    for difference in differences:
        name = difference.path.rsplit(".", 1)[-1]
        if "[" in name or difference.path.count(".") != 1:
            continue  # nested or repeated: the detail lines below the row say it
        old = f"{name}:{difference.expected}"
        if old in text:
            text = text.replace(old, f"{name}:{difference.actual}", 1)
        else:  # the expected value was the default, so the text omitted it
            text += f" {name}:{difference.actual}"
    return text
