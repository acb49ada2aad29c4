"""A stand-in for WatchEngine in TUI tests: the same methods and events, but
the specs run in this process with the real runner and nothing is watched,
so each test sees real verdicts at once and the same screen every time."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Iterable

from workbench.config import Project
from workbench.core.domain import Domain
from workbench.specs.loader import load_specs
from workbench.specs.report import verdict_json
from workbench.specs.runner import run_spec
from workbench.specs.sandbox import SpecSandbox
from workbench.tui.spec_index import RUN_ALL_REASON
from workbench.watch import events as ev
from workbench.watch.spec_ids import relative_file, spec_id

LATENCY_MS = 12.0  # fixed (and every spec's seconds zeroed), so snapshots do not change from run to run


class InProcessEngine:
    def __init__(self, project: Project):
        self.project = project
        self.domain = Domain.load(project)
        self.broken: dict[str, str] = {}
        self.running = False
        self.last_latency_ms: float | None = None
        self.asked: list[str] = []  # what the app asked for, in order
        self._queue: asyncio.Queue = asyncio.Queue()
        self._runs = 0
        self._failed: set[str] = set()

    async def events(self) -> AsyncIterator[ev.Event]:
        yield ev.WatchStarted(["domain", "specs"])
        self._run_these(None, RUN_ALL_REASON)
        while (event := await self._queue.get()) is not None:
            yield event

    def run_all(self) -> None:
        self.asked.append("run_all")
        self._run_these(None, RUN_ALL_REASON)

    def rerun_failed(self) -> None:
        self.asked.append("rerun_failed")
        self._run_these(self._failed, "failed last time")

    def run(self, spec_ids: Iterable[str], reason: str = "asked to run it") -> None:
        wanted = set(spec_ids)
        self.asked.append(f"run {sorted(wanted)}")
        self._run_these(wanted, reason)

    def stop(self) -> None:
        self._queue.put_nowait(None)

    def _run_these(self, wanted: set[str] | None, reason: str) -> None:
        self._runs += 1
        loaded = load_specs([self.project.specs_dir], self.domain.messages)
        sandbox = SpecSandbox(self.domain)
        emit = self._queue.put_nowait
        chosen = []
        for spec in loaded.specs:
            key = spec_id(relative_file(self.project.root, spec.path), spec.number)
            if wanted is None or key in wanted:
                chosen.append((key, spec))
        emit(ev.RunStarted(self._runs, [ev.Selected(key, reason) for key, _ in chosen], [], 0.1))
        passed = failed = 0
        failures = set()
        for key, spec in chosen:
            verdict = run_spec(spec, sandbox, self.domain.registry)
            emit(ev.SpecFinished(self._runs, key, reason, {**verdict_json(verdict), "seconds": 0.0}))
            passed += verdict.passed
            if not verdict.passed:
                failed += 1
                failures.add(key)
        self._failed = failures
        self.last_latency_ms = LATENCY_MS
        emit(ev.RunFinished(self._runs, LATENCY_MS, passed, failed))
