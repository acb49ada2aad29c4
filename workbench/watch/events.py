"""What the watch engine tells its front ends (`bf watch`, the TUI), in order.

Every event is a small frozen dataclass with the wall-clock time it happened
(`at`, seconds since the epoch); `event_json` turns one into the JSON object
`bf watch --json` prints.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import ClassVar


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class Selected:
    """A spec chosen for a run, and why, in words a person reads."""

    spec_id: str  # "specs/products/add.spec#2": the file from the project root, then the spec's number in it
    reason: str


@dataclass(frozen=True)
class SpecInfo:
    spec_id: str
    name: str
    file: str  # from the project root, e.g. "specs/products/add.spec"
    line: int  # the line of the spec's name
    number: int  # 1, 2, ... in the file


@dataclass(frozen=True)
class WatchStarted:
    kind: ClassVar[str] = "watching"
    paths: list[str]  # the folders and files watched, from the project root
    polling: bool = False  # the system had no file watch to spare: saves are seen by polling, a little later
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class ChangeSeen:
    """Files saved (after debouncing a burst of saves into one change)."""

    kind: ClassVar[str] = "change"
    paths: list[str]  # from the project root
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class RunStarted:
    kind: ClassVar[str] = "run"
    run: int  # 1, 2, ... per engine
    selection: list[Selected]  # the known specs chosen, each with its reason
    files: list[str]  # spec files run whole (a changed spec file may hold specs not known yet)
    select_ms: float  # how long choosing the specs took
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class SpecsLoaded:
    """A spec file as the run read it: its specs now, or why it could not be read.

    Specs of the file missing from `specs` were deleted; a front end drops them.
    """

    kind: ClassVar[str] = "specs"
    run: int
    file: str
    specs: list[SpecInfo]
    error: str | None = None  # "specs/x.spec:7: ...": file, line and what was wrong
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class SpecFinished:
    kind: ClassVar[str] = "verdict"
    run: int
    spec_id: str
    reason: str  # why it was selected
    verdict: dict  # workbench.specs.report.verdict_json: status, differences, error (traceback), touched, ...
    at: float = field(default_factory=_now)

    @property
    def status(self) -> str:
        return self.verdict["status"]


@dataclass(frozen=True)
class SpecRunning:
    """A spec is taking a while (a few hundred ms): which one."""

    kind: ClassVar[str] = "running"
    run: int
    spec_id: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class ErrorGroup:
    """One error text and every spec of the run it hit."""

    error: str
    specs: list[str]


@dataclass(frozen=True)
class RunFinished:
    kind: ClassVar[str] = "done"
    run: int
    latency_ms: float  # from the last save (or the key press) the run answers to its last verdict
    passed: int  # in this run
    failed: int  # in this run: failed, crashed or timed out
    total: int = 0  # every spec known, a spec of a file that does not parse included
    failing: int = 0  # of those, the ones whose last verdict is not a pass
    stale: list[str] = field(default_factory=list)  # "contracts stale: run bf protos" problems; never green
    errors: list[ErrorGroup] = field(default_factory=list)  # the run's errors, each text once
    at: float = field(default_factory=_now)

    @property
    def green(self) -> bool:
        return self.failing == 0 and not self.stale


@dataclass(frozen=True)
class Idle:
    """Nothing runs and nothing waits: every verdict shown answers the files as they are."""

    kind: ClassVar[str] = "idle"
    total: int
    failing: int
    stale: list[str] = field(default_factory=list)
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class RunCancelled:
    """A newer save (or request) stopped this run; its unfinished specs move to the next run."""

    kind: ClassVar[str] = "cancelled"
    run: int
    at: float = field(default_factory=_now)


Event = (WatchStarted | ChangeSeen | RunStarted | SpecsLoaded | SpecRunning | SpecFinished | RunFinished
         | RunCancelled | Idle)


def event_json(event: Event) -> dict:
    return {"event": event.kind, **asdict(event)}
