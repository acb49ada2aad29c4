"""Time travel through a spec: its given events one at a time, then its request,
with the state after each step kept as a standalone SQLite file and the rows each
step inserted, changed or deleted.

The verdict is the one `bf test` gives (the same comparison), so explore never
says less than the runner: passed, failed with its differences, rejected with its
code and message, or crashed with the original traceback. A crash does not stop
the state from being written: it is the state before the step that crashed.
"""

from __future__ import annotations

import os
import sqlite3
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.domain import Domain
from workbench.core.execute import Outcome, execute
from workbench.core.ids import SequentialIds
from workbench.core.state_db import open_state
from workbench.core.transaction import apply_event
from workbench.explore.row_diff import TableChange, diff, snapshot
from workbench.specs.compare import compare
from workbench.specs.model import Spec
from workbench.specs.runner import ERROR, FAIL, PASS, Verdict

GIVEN, WHEN = "given", "when"


@dataclass
class Step:
    number: int  # 1, 2, ... in the order they run
    kind: str  # GIVEN or WHEN
    message: Any
    changes: list[TableChange] = field(default_factory=list)
    path: Path | None = None  # the state after this step
    crashed: bool = False

    @property
    def name(self) -> str:
        """`given-1`, `given-2`, ..., `when`: the step's file and Datasette database."""
        return WHEN if self.kind == WHEN else f"{GIVEN}-{self.number}"

    @property
    def title(self) -> str:
        return "WHEN" if self.kind == WHEN else f"GIVEN {self.number}"


@dataclass
class Exploration:
    spec: Spec
    verdict: Verdict
    steps: list[Step]
    state_path: Path

    @property
    def rejected(self) -> bool:
        outcome = self.verdict.outcome
        return outcome is not None and outcome.response is None and outcome.code != 0


def explore_spec(domain: Domain, spec: Spec, state_path: Path, steps_dir: Path | None = None) -> Exploration:
    """Run `spec` step by step; write its final state to `state_path` and, with
    `steps_dir`, the state after every step to `steps_dir/<step name>.db`."""
    db = open_state(domain.schema_sql)
    before = snapshot(db)
    steps: list[Step] = []
    outcome: Outcome | None = None
    crash: str | None = None
    for number, event in enumerate(spec.given, 1):
        step = Step(number, GIVEN, event)
        steps.append(step)
        crash = _in_savepoint(db, lambda: apply_event(domain.registry.appliers, db, event))
        if crash:
            step.crashed = True
            break
        before = _finish(db, step, before, steps_dir)
    if crash is None:
        step = Step(len(spec.given) + 1, WHEN, spec.when)
        steps.append(step)
        results: list[Outcome] = []
        crash = _in_savepoint(db, lambda: results.append(
            execute(domain.registry, db, spec.when, SequentialIds(spec.next_uid))))
        step.crashed = crash is not None
        outcome = results[0] if results else None
        _finish(db, step, before, steps_dir)
    _write(db, state_path)
    db.close()
    return Exploration(spec, _verdict(spec, outcome, crash), steps, state_path)


def _in_savepoint(db: sqlite3.Connection, work) -> str | None:
    """Run `work` so it changes everything or nothing; the traceback when it raises."""
    db.execute("SAVEPOINT step")
    try:
        work()
    except Exception:
        db.execute("ROLLBACK TO step")
        db.execute("RELEASE step")
        return traceback.format_exc()
    db.execute("RELEASE step")
    return None


def _finish(db: sqlite3.Connection, step: Step, before, steps_dir: Path | None):
    after = snapshot(db)
    step.changes = diff(before, after)
    if steps_dir is not None:
        step.path = steps_dir / f"{step.name}.db"
        _write(db, step.path)
    return after


def _write(db: sqlite3.Connection, path: Path) -> None:
    """The state as one standalone file (no journal beside it), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                  path.with_name(path.name + "-journal")):
        stale.unlink(missing_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    target = sqlite3.connect(path)
    try:
        target.execute("PRAGMA synchronous = OFF")  # a cache file rebuilt on demand: no fsync to wait for
        db.backup(target)
    finally:
        target.close()


def _verdict(spec: Spec, outcome: Outcome | None, crash: str | None) -> Verdict:
    if crash is not None or outcome is None:
        return Verdict(spec, ERROR, error=crash)
    differences = compare(spec, outcome)
    return Verdict(spec, FAIL if differences else PASS, differences, outcome)
