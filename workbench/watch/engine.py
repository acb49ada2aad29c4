"""The watch engine: save a file, and the specs it affects run again, at once.

Front ends (`bf watch`, the TUI) drive it the same way, and it never imports
Textual::

    engine = WatchEngine(project)
    async for event in engine.events():   # starts watching; ends after engine.stop()
        ...                               # events from workbench.watch.events

    engine.run_all()          # keys: every spec
    engine.rerun_failed()     # the specs whose last verdict was not a pass
    engine.run(["specs/products/add.spec#2"])
    engine.stop()

These four are plain methods to call from the event loop that iterates
`events()` (a Textual action handler, say); each asks for a run and returns.
An engine watches once: after stop(), make a new one.

What happens on a save:

1. watchfiles sees `domain/` and `specs/` (from `[tool.bf]`); a burst of saves
   within `debounce_ms` is one change (`ChangeSeen`).
2. The affected map (affected.py) chooses the specs, each with its reason,
   in a millisecond or so (`RunStarted`).
3. A fresh worker process, forked from a warm parent that never imported a
   feature (forkserver.py), loads the domain from disk and runs them, streaming
   `SpecsLoaded` and `SpecFinished` back; then `RunFinished` with the latency
   from the save to the last verdict.
4. A save during a run kills that worker (`RunCancelled`) and starts a run of
   the new selection plus whatever the cancelled run had not finished.

A syntax error or exception in edited code is an `error` verdict with the
traceback for the specs it affects; the engine keeps watching.

State a front end may read at any time: `specs` (spec id -> SpecInfo, every
spec known so far), `verdicts` (spec id -> the last verdict dict),
`broken` (feature file -> its import error, while it stays broken),
`running`, `polling` and `last_latency_ms`.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Iterable

from watchfiles import DefaultFilter, awatch

from workbench.config import Project
from workbench.watch.affected import AffectedMap, Selection
from workbench.watch.events import (
    ChangeSeen,
    Event,
    RunCancelled,
    RunFinished,
    RunStarted,
    SpecFinished,
    SpecInfo,
    SpecsLoaded,
    WatchStarted,
)
from workbench.watch.forkserver import ForkServer
from workbench.watch.spec_ids import file_of, relative_file

DEBOUNCE_MS = 10  # editors write a file in a few steps within a millisecond or two; later saves cancel and merge
WATCHED_SUFFIXES = (".py", ".spec", ".sql", ".proto", ".lua")
RUN_ALL_REASON = "asked to run all"  # also the first run's: every spec, which teaches the map what each touches
_POLL_MS = 50
_RECENT_SECONDS = 5.0


class _SourceFilter(DefaultFilter):
    """Source files only: no bytecode, editor swap files, or other noise."""

    def __call__(self, change, path: str) -> bool:
        return path.endswith(WATCHED_SUFFIXES) and super().__call__(change, path)


class WatchEngine:
    def __init__(self, project: Project, *, debounce_ms: int = DEBOUNCE_MS, run_first: bool = True,
                 worker_output=subprocess.DEVNULL):
        """`run_first`: run every spec when watching starts (it also learns what each spec touches).
        `worker_output`: where print() in feature code goes (a file, or subprocess.DEVNULL)."""
        self.project = project
        self.debounce_ms = debounce_ms
        self.run_first = run_first
        self.specs: dict[str, SpecInfo] = {}
        self.verdicts: dict[str, dict] = {}
        self.broken: dict[str, str] = {}
        self.running = False
        self.last_latency_ms: float | None = None
        self.polling = False  # True when the system had no file watch to spare and the engine polls instead
        self._affected = AffectedMap(project)
        self._forkserver = ForkServer(project, output=worker_output)
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._pending: Selection | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._current = None  # the WorkerRun in progress
        self._runs = 0
        self._fresh_parent = False  # a file the fork server imported changed

    # -- what front ends call -------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        await self._forkserver.start()
        tasks = [asyncio.create_task(self._watch()), asyncio.create_task(self._schedule())]
        try:
            while (event := await self._queue.get()) is not None:
                yield event
        finally:
            self._stopping.set()
            self._wake.set()
            if self._current is not None:
                self._current.kill()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._forkserver.stop()

    def run_all(self) -> None:
        self._ask(self._affected.everything(RUN_ALL_REASON))

    def rerun_failed(self) -> None:
        failed = [spec_id for spec_id, verdict in self.verdicts.items() if verdict["status"] != "pass"]
        self._ask(self._affected.these(failed, "failed last time"))

    def run(self, spec_ids: Iterable[str], reason: str = "asked to run it") -> None:
        self._ask(self._affected.these(list(spec_ids), reason))

    def notice(self, paths: Iterable[Path | str]) -> None:
        """As if `paths` had just been saved (watchfiles calls this on every change)."""
        changed = [Path(p) if Path(p).is_absolute() else self.project.root / p for p in paths]
        if any(p.resolve() in self._forkserver.imported for p in changed):
            self._fresh_parent = True
        self._emit(ChangeSeen(sorted(relative_file(self.project.root, p) for p in changed)))
        selection = self._affected.select(changed)
        selection.since = _saved_at(changed)
        self._ask(selection)

    def stop(self) -> None:
        self._queue.put_nowait(None)

    # -- inside -----------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        self._queue.put_nowait(event)

    def _ask(self, selection: Selection) -> None:
        if selection.empty:
            return
        self._pending = selection if self._pending is None else self._pending.merge(selection)
        if self._current is not None:
            self._current.kill()
        self._wake.set()

    def _watched(self) -> list[Path]:
        project = self.project
        paths = [project.domain_dir, project.specs_dir]
        if not any(project.schema_path.is_relative_to(p) for p in paths):
            paths.append(project.schema_path)
        return [p for p in paths if p.exists()]

    async def _watch(self) -> None:
        paths = self._watched()
        changes, next_changes = await self._start_watching(paths, polling=False)
        if next_changes.done() and not isinstance(next_changes.exception(), (type(None), StopAsyncIteration)):
            # No inotify watch left (other watchers use them up): polling is slower, but it sees every save.
            changes, next_changes = await self._start_watching(paths, polling=True)
        self._emit(WatchStarted([relative_file(self.project.root, p) for p in paths], polling=self.polling))
        if self.run_first:
            self.run_all()
        try:
            while True:
                self.notice(sorted({Path(path) for _, path in await next_changes}))
                next_changes = asyncio.ensure_future(anext(changes))
        except StopAsyncIteration:
            pass  # stopped
        finally:
            next_changes.cancel()

    async def _start_watching(self, paths: list[Path], polling: bool):
        self.polling = polling
        changes = awatch(*paths, watch_filter=_SourceFilter(), step=self.debounce_ms, stop_event=self._stopping,
                         debounce=1600, force_polling=polling, poll_delay_ms=_POLL_MS)
        next_changes = asyncio.ensure_future(anext(changes))
        # awatch sets up the file system watches in its first step, before it first waits:
        # from here on no save is missed, so only now is it watching, and the first run may start.
        await asyncio.sleep(0)
        return changes, next_changes

    async def _schedule(self) -> None:
        while not self._stopping.is_set():
            await self._wake.wait()
            self._wake.clear()
            while self._pending is not None and not self._stopping.is_set():
                selection, self._pending = self._pending, None
                leftover = await self._run(selection)
                if leftover is not None:
                    self._pending = leftover if self._pending is None else leftover.merge(self._pending)

    async def _run(self, selection: Selection) -> Selection | None:
        """Run `selection` in a fresh worker; if cancelled, return what it did not finish."""
        self._runs += 1
        number = self._runs
        self._emit(RunStarted(number, selection.known(self.specs), sorted(selection.files),
                              round(selection.select_ms, 3)))
        self.running = True
        tally = _Tally()
        run = None
        try:
            if self._fresh_parent:
                self._fresh_parent = False
                await self._forkserver.restart()
            run = self._current = await self._forkserver.run(selection.request())
            async for message in run.messages():
                self._follow(number, selection, message, tally)
        except Exception:  # no worker could start: every selected spec is an error, and watching goes on
            tally.crash = traceback.format_exc()
        finally:
            self._current = None
            self.running = False
        if run is not None and run.killed:
            self._emit(RunCancelled(number))
            return selection.without(tally.finished)
        if tally.crash is not None or not run.completed:
            crash = tally.crash or "the worker process died without a word (killed by the system?)"
            for spec_id in selection.known_ids(self.specs) - tally.finished:
                self._finished(number, spec_id, selection.reason_for(spec_id), self._crashed(spec_id, crash))
                tally.failed += 1
        self.last_latency_ms = round((time.time() - selection.since) * 1000, 1)
        self._emit(RunFinished(number, self.last_latency_ms, tally.passed, tally.failed))
        return None

    def _follow(self, number: int, selection: Selection, message: dict, tally: "_Tally") -> None:
        kind = message["type"]
        if kind == "registry":
            self.broken = {b["file"]: b["error"] for b in message["broken"]}
        elif kind == "loaded":
            self._loaded(number, message)
        elif kind == "verdict":
            spec_id = message["id"]
            tally.finished.add(spec_id)
            self._finished(number, spec_id, selection.reason_for(spec_id), message)
            if message["verdict"]["status"] == "pass":
                tally.passed += 1
            else:
                tally.failed += 1
        elif kind == "crash":
            tally.crash = message["traceback"]

    def _loaded(self, number: int, message: dict) -> None:
        file = message["file"]
        infos = [SpecInfo(**info) for info in message["specs"]]
        if message["error"] is None:
            for gone in [i for i in self.specs if file_of(i) == file and i not in {s.spec_id for s in infos}]:
                del self.specs[gone]
                self.verdicts.pop(gone, None)
                self._affected.forget(gone)
        for info in infos:
            self.specs[info.spec_id] = info
        self._emit(SpecsLoaded(number, file, infos, message["error"]))

    def _finished(self, number: int, spec_id: str, reason: str, message: dict) -> None:
        verdict = message["verdict"]
        self.verdicts[spec_id] = verdict
        self._affected.record(spec_id, frozenset(message["touched"]), message["unserved"])
        self._emit(SpecFinished(number, spec_id, reason, verdict))

    def _crashed(self, spec_id: str, traceback: str) -> dict:
        info = self.specs[spec_id]
        verdict = {"name": info.name, "file": info.file, "line": info.line, "number": info.number,
                   "status": "error", "differences": [], "error": traceback, "touched": [], "seconds": 0.0}
        return {"verdict": verdict, "touched": [], "unserved": True}


@dataclass
class _Tally:
    passed: int = 0
    failed: int = 0
    finished: set[str] = field(default_factory=set)
    crash: str | None = None  # the traceback, when the domain could not load at all


def _saved_at(paths: list[Path]) -> float:
    """When the earliest of `paths` was saved: the latency counts from there.

    A file moved in keeps its old modification time; only recent ones count.
    """
    now = time.time()
    times = [now]
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            pass  # deleted
    return min(t for t in times if now - t < _RECENT_SECONDS)
