"""The count of one watch run: verdicts, errors grouped by cause, files read."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from workbench.watch.events import ErrorGroup


@dataclass
class RunTally:
    """What one run (all its workers) has done so far."""

    passed: int = 0
    failed: int = 0
    finished: set[str] = field(default_factory=set)
    loaded: dict[str, list[str]] = field(default_factory=dict)  # spec file -> its spec ids, as this run read it
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # error text -> spec ids
    crash: str | None = None  # the traceback, when the domain could not load at all
    stopped: bool = False  # the worker stopped after a timeout
    claims: tuple[dict[str, str], list[str]] | None = None  # who serves each message, the broken features' errors

    def count(self, spec_id: str, verdict: dict, cause: str | None = None) -> None:
        """`cause`: what the error shares with others (a broken feature's import error), when not all of it."""
        self.finished.add(spec_id)
        if verdict["status"] == "pass":
            self.passed += 1
        else:
            self.failed += 1
        if verdict.get("error"):
            self.errors[cause or verdict["error"]].append(spec_id)

    def groups(self) -> list[ErrorGroup]:
        return [ErrorGroup(error, specs) for error, specs in self.errors.items()]
