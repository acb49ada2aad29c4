"""The loops `bf perf` times, inside one worker process: the specs are parsed
once, the sandbox and its statements are made once, and each loop runs until
its time is up."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Callable, NamedTuple

from workbench.config import Project
from workbench.core.domain import Domain
from workbench.core.execute import execute
from workbench.core.ids import SequentialIds
from workbench.core.state_db import open_state
from workbench.core.transaction import apply_event
from workbench.specs.loader import load_specs, matching
from workbench.specs.model import Spec
from workbench.specs.report import failure_text, where
from workbench.specs.runner import Verdict, run_spec, run_specs
from workbench.specs.sandbox import SpecSandbox

PUBLISH_EVERY = 64  # specs between two looks at the clock and two updates of the live counters
SLOW_SPEC_SECONDS = 0.001  # a spec slower than this twice running (a script's resource limit) is timed apart


class SpecsRun(NamedTuple):
    passed: int
    events: int  # applied: the given events and those the requests produced
    seconds: float
    cpu_seconds: float  # what this process got of a core meanwhile (less than `seconds` on a busy machine)
    failure: str | None  # the first spec that did not pass; the loop stopped there


class Timed(NamedTuple):
    count: int
    seconds: float
    events: int  # applied, for the live counters
    cpu_share: float  # CPU seconds over wall seconds while it ran: 1.0 on a free core


class SpecLoop:
    def __init__(self, domain: Domain, specs: list[Spec], errors: list[str]):
        self.domain = domain
        self.specs = specs
        self.errors = errors  # spec files that could not be read
        self.slow: list[tuple[Spec, float]] = []  # specs over SLOW_SPEC_SECONDS, each with one run's time
        self.sandbox = SpecSandbox(domain)
        self._scratch: sqlite3.Connection | None = None

    @classmethod
    def load(cls, project: Project, paths: list[Path], keyword: str | None) -> "SpecLoop":
        domain = Domain.load(project)
        loaded = load_specs(paths, domain.messages)
        return cls(domain, matching(loaded.specs, keyword), [str(error) for error in loaded.errors])

    def check(self) -> list[str]:
        """Run every spec once: a text for each that does not pass.

        A spec slower than SLOW_SPEC_SECONDS, then again in CPU time on a second
        run (waiting for a core on a busy machine does not count), leaves the
        loops for `slow`: one such spec would set the pace of every rate.
        """
        verdicts = list(run_specs(self.specs, self.sandbox, self.domain.registry))
        failures = [describe_failure(v) for v in verdicts if not v.passed]
        for verdict in verdicts:
            if verdict.passed and verdict.seconds > SLOW_SPEC_SECONDS:
                cpu_started = time.process_time()
                run_spec(verdict.spec, self.sandbox, self.domain.registry)
                cpu_seconds = time.process_time() - cpu_started
                if cpu_seconds > SLOW_SPEC_SECONDS:
                    self.slow.append((verdict.spec, cpu_seconds))
        slow = {id(spec) for spec, _ in self.slow}
        self.specs = [spec for spec in self.specs if id(spec) not in slow]
        return failures

    def run_specs(self, seconds: float, publish: Callable[[int, int], None]) -> SpecsRun:
        """The runner of `bf test`, spec after spec, for `seconds`; `publish(passed, events)` now and then."""
        sandbox, registry, specs = self.sandbox, self.domain.registry, self.specs
        passed = events = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        deadline = started + seconds

        def ran(failure: str | None) -> SpecsRun:
            return SpecsRun(passed, events, time.perf_counter() - started, time.process_time() - cpu_started, failure)

        while True:
            for spec in specs:
                verdict = run_spec(spec, sandbox, registry)
                if not verdict.passed:
                    return ran(describe_failure(verdict))
                passed += 1
                events += len(spec.given) + len(verdict.outcome.events)
                if passed % PUBLISH_EVERY == 0:
                    publish(passed, events)
                    if time.perf_counter() >= deadline:
                        return ran(None)

    def apply_events(self, seconds: float, publish: Callable[[int], None]) -> Timed:
        """Each spec's given events applied, then rolled back, for `seconds`: events and wall time."""
        db, appliers = self._scratch_db(), self.domain.registry.appliers
        givens = [spec.given for spec in self.specs if spec.given]
        applied = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        deadline = started + seconds
        while givens and time.perf_counter() < deadline:
            for given in givens:
                for event in given:
                    apply_event(appliers, db, event)
                db.execute("ROLLBACK TO perf")
                applied += len(given)
            publish(applied)
        wall = time.perf_counter() - started
        return Timed(applied, wall, applied, cpu_share(cpu_started, wall))

    def handle_requests(self, seconds: float, publish: Callable[[int], None]) -> Timed:
        """Each spec's request handled on its given state, for `seconds`: requests and the
        handlers' time only (applying the given events and rolling back are not counted)."""
        db, registry = self._scratch_db(), self.domain.registry
        handled = applied = 0
        busy = 0.0
        clock = time.perf_counter
        started, cpu_started = clock(), time.process_time()
        deadline = started + seconds
        while clock() < deadline:
            for spec in self.specs:
                for event in spec.given:
                    apply_event(registry.appliers, db, event)
                began = clock()
                outcome = execute(registry, db, spec.when, SequentialIds(spec.next_uid))
                busy += clock() - began
                db.execute("ROLLBACK TO perf")
                applied += len(spec.given) + len(outcome.events)
            handled += len(self.specs)
            publish(applied)
        return Timed(handled, busy, applied, cpu_share(cpu_started, clock() - started))

    def _scratch_db(self) -> sqlite3.Connection:
        """A state of its own for the one-core loops, rolled back to the savepoint `perf`."""
        if self._scratch is None:
            self._scratch = open_state(self.domain.schema_sql)
            self._scratch.execute("SAVEPOINT perf")
        return self._scratch


def cpu_share(cpu_started: float, wall_seconds: float) -> float:
    return (time.process_time() - cpu_started) / wall_seconds if wall_seconds else 1.0


def describe_failure(verdict: Verdict) -> str:
    return f"{where(verdict)}: {verdict.spec.name}: {verdict.status}\n{failure_text(verdict)}"
