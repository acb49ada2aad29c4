"""A spec's steps as text and as JSON: what each step was, what it answered, and the
rows it inserted (`+`), changed (`~`, only the columns that changed) or deleted (`-`).

The CLI prints these lines; the app reads the JSON back and draws the same changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.ids import show_uids
from workbench.explore.row_diff import TableChange
from workbench.explore.steps import WHEN, Exploration, Step
from workbench.specs.compare import show_value
from workbench.specs.message_text import message_line
from workbench.specs.report import verdict_json


def cell(value: Any) -> str:
    """A stored value the way the specs write it: ids as UID(n), NULL for none."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return value.hex()
    return show_uids(str(value))


def row_text(columns: tuple[str, ...] | list[str], row) -> str:
    return " ".join(f"{name}={cell(value)}" for name, value in zip(columns, row))


def change_lines(change: TableChange) -> list[str]:
    columns = change.columns
    lines = [f"{change.table}  {change.counts}"]
    lines += [f"  + {row_text(columns, row)}" for row in change.inserted]
    for before, after in change.changed:
        moved = [f"{name}: {cell(old)} -> {cell(new)}" for name, old, new in zip(columns, before, after) if old != new]
        keys = [name for name in change.key_columns if name in columns] or columns[:1]
        key = row_text(keys, [after[columns.index(name)] for name in keys])
        lines.append(f"  ~ {key}  " + ", ".join(moved))
    lines += [f"  - {row_text(columns, row)}" for row in change.deleted]
    return lines


def answer_line(exploration: Exploration, step: Step) -> str | None:
    """What the request answered, for the WHEN step."""
    if step.kind != WHEN:
        return None
    if step.crashed:
        return "crashed (nothing it did was kept)"
    outcome = exploration.verdict.outcome
    if outcome.response is None:
        return f"rejected: {outcome.code.spec_name}" + (f" ({outcome.message})" if outcome.message else "") + \
            " (nothing it did was kept)"
    return "answered: " + show_value(outcome.response)


def step_lines(exploration: Exploration, step: Step) -> list[str]:
    lines = [f"{step.title}  {show_uids(message_line(step.message))}"]
    answer = answer_line(exploration, step)
    if answer:
        lines.append(f"  {answer}")
    if step.crashed and step.kind != WHEN:
        lines.append("  crashed (nothing it did was kept)")
    for change in step.changes:
        lines += ["  " + line for line in change_lines(change)]
    if not step.changes and not step.crashed:
        lines.append("  no row changed")
    return lines


def change_json(change: TableChange) -> dict:
    return {"table": change.table, "columns": list(change.columns), "key_columns": list(change.key_columns),
            "inserted": change.inserted,
            "deleted": change.deleted, "changed": change.changed}


def change_from_json(data: dict) -> TableChange:
    return TableChange(data["table"], tuple(data["columns"]), tuple(data["key_columns"]),
                       [tuple(r) for r in data["inserted"]],
                       [tuple(r) for r in data["deleted"]],
                       [(tuple(before), tuple(after)) for before, after in data["changed"]])


def exploration_json(exploration: Exploration) -> dict:
    """For the app: the verdict as `bf test --json` gives it, the state file, and every step."""
    return {
        "verdict": verdict_json(exploration.verdict),
        "rejected": exploration.rejected,
        "state": str(exploration.state_path),
        "steps": [{
            "name": step.name,
            "title": step.title,
            "message": show_uids(message_line(step.message)),
            "answer": answer_line(exploration, step),
            "crashed": step.crashed,
            "path": str(step.path) if step.path else None,
            "changes": [change_json(change) for change in step.changes],
        } for step in exploration.steps],
    }


def json_default(value: Any) -> Any:
    """Values json cannot write on its own: blobs as hex, paths as text."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
