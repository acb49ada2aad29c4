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

1. watchfiles sees the domain, the specs and the framework (`workbench`); a
   burst of saves within `debounce_ms` is one change (`ChangeSeen`); a folder
   renamed, moved or deleted stands for every file in it. Every second the
   engine also looks at `[tool.bf]` and the installed packages' versions.
2. The affected map (affected.py) chooses the specs, each with its reason, in
   a millisecond or so, and the standing failures join them, first
   (`RunStarted`).
3. A fresh worker process, forked from a warm parent (forkserver.py), loads
   the domain from disk and runs them, streaming `SpecsLoaded`, `SpecRunning`
   (a spec taking a while) and `SpecFinished` back; then `RunFinished` with
   the latency from the last save to the last verdict, the totals, the
   errors grouped, and any stale contracts; `Idle` when nothing is left.
   When a module the warm parent holds changed (the framework, the generated
   contracts, an installed package), the parent starts afresh first.
4. A save during a run kills that worker (`RunCancelled`) and starts a run of
   the new selection plus whatever the cancelled run had not finished. A spec
   over its time budget is a `timeout`; its worker is replaced and the run
   goes on in a fresh one.

A syntax error or exception in edited code is an `error` verdict with the
traceback for the specs it affects; the engine keeps watching.

State a front end may read at any time: `specs` (spec id -> SpecInfo, every
spec known so far), `verdicts` (spec id -> the last verdict dict),
`broken` (feature file -> its import error, while it stays broken), `stale`
(what is out of date in the contracts), `running`, `polling` and `last_latency_ms`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import traceback
from pathlib import Path
from typing import AsyncIterator, Iterable

from watchfiles import DefaultFilter, awatch

import workbench
from workbench.config import Project
from workbench.specs.runner import TIMEOUT, timeout_text
from workbench.watch.affected import AffectedMap, Selection
from workbench.watch.environment import Environment
from workbench.watch.events import (
    ChangeSeen, Event, Idle, RunCancelled, RunFinished, RunStarted, SpecFinished, SpecInfo, SpecRunning,
    SpecsLoaded, WatchStarted,
)
from workbench.watch.forkserver import ForkServer
from workbench.watch.memory import Memory
from workbench.watch.run_tally import RunTally
from workbench.watch.spec_ids import file_of, relative_file

DEBOUNCE_MS = 10  # editors write a file in a few steps within a millisecond or two; later saves cancel and merge
WATCHED_SUFFIXES = (".py", ".spec", ".sql", ".proto", ".lua", ".json", ".toml", ".yaml", ".yml", ".csv", ".txt")
RUN_ALL_REASON = "asked to run all"  # also the first run's: every spec, which teaches the map what each touches
FAILING_REASON = "it was failing: standing failures rerun first on every change"
_RERUN = ("fail", "error")  # a timeout reruns only when a change affects it: each costs the whole budget
_POLL_MS = 50
_RECENT_SECONDS = 5.0
_ENVIRONMENT_SECONDS = 1.0


class _SourceFilter(DefaultFilter):
    """Source files, and folders (a folder renamed or deleted): no bytecode, editor swap files or other noise."""

    def __call__(self, change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        return path.endswith(WATCHED_SUFFIXES) or os.path.isdir(path) or not os.path.exists(path)


class WatchEngine:
    def __init__(self, project: Project, *, debounce_ms: int = DEBOUNCE_MS, run_first: bool = True,
                 worker_output=subprocess.DEVNULL, remember: bool = True):
        """`run_first`: run every spec when watching starts (it also learns what each spec executes),
        or, with what the last session remembered, only what changed since.
        `worker_output`: where print() in feature code goes (a file, or subprocess.DEVNULL).
        `remember`: keep verdicts and what each spec executed in the project's `.bf-cache/` across restarts."""
        self.project = project
        self.debounce_ms = debounce_ms
        self.run_first = run_first
        self.specs: dict[str, SpecInfo] = {}
        self.verdicts: dict[str, dict] = {}
        self.broken: dict[str, str] = {}
        self.stale: list[str] = []
        self.running = False
        self.last_latency_ms: float | None = None
        self.polling = False  # True when the system had no file watch to spare and the engine polls instead
        self.framework = [Path(workbench.__file__).parent.resolve()]
        self._affected = AffectedMap(project, self.framework)
        self._forkserver = ForkServer(project, output=worker_output)
        self._environment = Environment(project)
        self._memory = Memory(project) if remember else None
        self._claims: dict[str, str] | None = None  # message type -> the feature serving it, as the last run saw
        self._broken_errors: list[str] = []
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._pending: Selection | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._current = None  # the WorkerRun in progress
        self._runs = 0
        self._fresh_parent: str | None = None  # why the fork server must restart before the next run

    # -- what front ends call -------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        await self._forkserver.start()
        tasks = [asyncio.create_task(self._watch()), asyncio.create_task(self._schedule()),
                 asyncio.create_task(self._watch_environment())]
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
        changed = self._expand([Path(p) if Path(p).is_absolute() else self.project.root / p for p in paths])
        if not changed:
            return
        if any(p.resolve() in self._forkserver.imported for p in changed):
            self._fresh_parent = "a module the worker's parent holds changed"
        self._emit(ChangeSeen(sorted(relative_file(self.project.root, p) for p in changed)))
        selection = self._affected.select(changed)
        selection.since = _saved_at(changed)
        self._ask(self._with_failures(selection))
        if self._pending is None and not self.running:
            self._idle()

    def stop(self) -> None:
        self._queue.put_nowait(None)

    @property
    def failing(self) -> int:
        return sum(1 for s in self.specs if self.verdicts.get(s, {}).get("status") != "pass")

    # -- inside -----------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        self._queue.put_nowait(event)

    def _idle(self) -> None:
        if self._memory is not None and self._runs:
            self._memory.save(self)  # only now: every verdict answers the files as they are
        self._emit(Idle(len(self.specs), self.failing, list(self.stale)))

    def _ask(self, selection: Selection) -> None:
        if selection.empty:
            return
        if selection.restart:
            self._fresh_parent = selection.restart
            self._environment.forget_key()
        self._pending = selection if self._pending is None else self._pending.merge(selection)
        if self._current is not None:
            self._current.kill()
        self._wake.set()

    def _with_failures(self, selection: Selection) -> Selection:
        failing = {s: FAILING_REASON for s in self.specs if self.verdicts.get(s, {}).get("status") in _RERUN}
        if not failing or selection.empty:
            return selection
        return selection.merge(Selection(failing, since=0.0))

    def _expand(self, paths: list[Path]) -> list[Path]:
        """Folders stand for the files in them: a folder renamed, moved in or out, or deleted."""
        known = {self.project.root / f for f in [*{i.file for i in self.specs.values()}, *self._affected.seen]}
        found: dict[Path, None] = {}
        for path in paths:
            if path.is_dir():
                found.update(dict.fromkeys(p for p in sorted(path.rglob("*"))
                                           if p.is_file() and p.name.endswith(WATCHED_SUFFIXES)))
            elif not path.exists() and path not in known:
                found.update(dict.fromkeys(k for k in sorted(known) if k.is_relative_to(path)))
            elif path.name.endswith(WATCHED_SUFFIXES):
                found[path] = None
        return [p for p in found if "__pycache__" not in p.parts]

    def _watched(self) -> list[Path]:
        project = self.project
        paths = [project.domain_dir, project.specs_dir]
        if not any(project.schema_path.is_relative_to(p) for p in paths):
            paths.append(project.schema_path)
        paths += [f for f in self.framework if not any(f.is_relative_to(p) for p in paths)]
        return [p for p in paths if p.exists()]

    async def _watch(self) -> None:
        paths = self._watched()
        changes, next_changes = await self._start_watching(paths, polling=False)
        if next_changes.done() and not isinstance(next_changes.exception(), (type(None), StopAsyncIteration)):
            # No inotify watch left (other watchers use them up): polling is slower, but it sees every save.
            changes, next_changes = await self._start_watching(paths, polling=True)
        shown = [relative_file(self.project.root, p) for p in paths]
        shown = [name if not Path(name).is_absolute() else f"{Path(name).name} (framework)" for name in shown]
        self._emit(WatchStarted(shown, polling=self.polling))
        self._first_run()
        try:
            while True:
                self.notice(sorted({Path(path) for _, path in await next_changes}))
                next_changes = asyncio.ensure_future(anext(changes))
        except StopAsyncIteration:
            pass  # stopped
        finally:
            next_changes.cancel()

    def _first_run(self) -> None:
        remembered = self._memory.load(self) if self._memory is not None else None
        if remembered is not None:
            for event in remembered.events:
                self._emit(event)
            if self.run_first:
                self._ask(self._with_failures(remembered.selection) if not remembered.selection.empty
                          else remembered.selection)
        elif self.run_first:
            self.run_all()
        if self._pending is None:
            self._idle()

    async def _start_watching(self, paths: list[Path], polling: bool):
        self.polling = polling
        changes = awatch(*paths, watch_filter=_SourceFilter(), step=self.debounce_ms, stop_event=self._stopping,
                         debounce=1600, force_polling=polling, poll_delay_ms=_POLL_MS)
        next_changes = asyncio.ensure_future(anext(changes))
        # awatch sets up the file system watches in its first step, before it first waits:
        # from here on no save is missed, so only now is it watching, and the first run may start.
        await asyncio.sleep(0)
        return changes, next_changes

    async def _watch_environment(self) -> None:
        """`[tool.bf]` and the installed packages: no file watch for them, a look every second."""
        while True:
            await asyncio.sleep(_ENVIRONMENT_SECONDS)
            change = await asyncio.to_thread(self._environment.changed)
            if change:
                self._emit(ChangeSeen([change]))
                self._ask(self._affected.restart_all(change))

    async def _schedule(self) -> None:
        while not self._stopping.is_set():
            await self._wake.wait()
            self._wake.clear()
            while self._pending is not None and not self._stopping.is_set():
                selection, self._pending = self._pending, None
                leftover = await self._run(selection)
                if leftover is not None:
                    self._pending = leftover if self._pending is None else leftover.merge(self._pending)
                elif self._pending is None:
                    self._idle()

    async def _run(self, selection: Selection) -> Selection | None:
        """Run `selection` in fresh workers; if cancelled, return what it did not finish."""
        self._runs += 1
        number = self._runs
        self._emit(RunStarted(number, selection.known(self.specs), sorted(selection.files),
                              round(selection.select_ms, 3)))
        self.running = True
        tally = RunTally()
        try:
            todo = selection
            while todo is not None:
                run = await self._one_worker(number, todo, tally)
                if run is not None and run.killed:
                    self._emit(RunCancelled(number))
                    return selection.without(tally.finished, tally.loaded)
                todo = None
                if tally.stopped:  # a spec timed out: a fresh worker takes the rest
                    tally.stopped = False
                    todo = selection.without(tally.finished, tally.loaded)
                    todo.check_contracts = todo.registry_check = False
                    todo = None if todo.empty else todo
        finally:
            self._current = None
            self.running = False
        self._adopt_claims(selection, tally)
        self.last_latency_ms = round((time.time() - selection.since) * 1000, 1)
        self._emit(RunFinished(number, self.last_latency_ms, tally.passed, tally.failed, len(self.specs),
                               self.failing, list(self.stale), tally.groups()))
        return None

    def _adopt_claims(self, selection: Selection, tally: "RunTally") -> None:
        """Who serves each message, as a finished run saw it, becomes what the next run compares with,
        when this run compared (and so reran what changed hands) or nothing was known yet."""
        if tally.claims is not None and (selection.registry_check or self._claims is None):
            self._claims, self._broken_errors = tally.claims

    async def _one_worker(self, number: int, selection: Selection, tally: "RunTally"):
        run = None
        try:
            if self._fresh_parent:
                self._fresh_parent = None
                await self._forkserver.restart()
            run = self._current = await self._forkserver.run(self._request(selection))
            async for message in run.messages():
                self._follow(number, selection, message, tally)
        except Exception:  # no worker could start: every selected spec is an error, and watching goes on
            tally.crash = traceback.format_exc()
        finally:
            self._current = None
        if run is not None and (run.killed or tally.stopped):
            return run
        if tally.crash is not None or not run.completed:
            crash = tally.crash or "the worker process died without a word (killed by the system?)"
            tally.crash = None
            for spec_id in sorted(selection.known_ids(self.specs) - tally.finished):
                self._finished(number, spec_id, selection.reason_for(spec_id),
                               {"verdict": self._made_up(spec_id, "error", crash)}, tally)
        return run

    def _request(self, selection: Selection) -> dict:
        failing = [s for s, v in self.verdicts.items() if v["status"] in ("fail", "error")]
        timeouts = [s for s, v in self.verdicts.items() if v["status"] == TIMEOUT]
        request = {"files": sorted(selection.files), "specs": sorted(selection.specs), "first": failing,
                   "last": timeouts, "check_contracts": selection.check_contracts}
        if selection.registry_check and self._claims is not None:
            request["registry_check"] = {"claims": self._claims, "broken": self._broken_errors,
                                         "uses": self._affected.uses()}
        return request

    def _follow(self, number: int, selection: Selection, message: dict, tally: "RunTally") -> None:
        kind = message["type"]
        if kind == "registry":
            self.broken = {b["file"]: b["error"] for b in message["broken"]}
            # Adopted only when the run ends having acted on them (_adopt_claims): a run cut off, or one
            # that did not compare them, must leave the next run the old claims to compare with.
            tally.claims = (message["claims"], sorted(b["error"] for b in message["broken"]))
        elif kind == "contracts":
            self.stale = message["stale"]
        elif kind == "selected":
            for spec_id, reason in message["specs"].items():
                selection.specs.setdefault(spec_id, reason)
        elif kind == "loaded":
            self._loaded(number, message)
            tally.loaded[message["file"]] = [info["spec_id"] for info in message["specs"]]
        elif kind == "running":
            self._emit(SpecRunning(number, message["id"]))
        elif kind == "verdict":
            if message["verdict"] is None:  # the watchdog's: the spec could not even be interrupted
                message["verdict"] = self._made_up(message["id"], TIMEOUT, message["error"])
            self._finished(number, message["id"], selection.reason_for(message["id"]), message, tally)
        elif kind == "stopped":
            tally.stopped = True
        elif kind == "crash":
            tally.crash = message["traceback"]

    def _loaded(self, number: int, message: dict) -> None:
        file = message["file"]
        infos = [SpecInfo(**info) for info in message["specs"]]
        for gone in [i for i in self.specs if file_of(i) == file and i not in {s.spec_id for s in infos}]:
            del self.specs[gone]
            self.verdicts.pop(gone, None)
            self._affected.forget(gone)
        for info in infos:
            self.specs[info.spec_id] = info
        self._emit(SpecsLoaded(number, file, infos, message["error"]))

    def _finished(self, number: int, spec_id: str, reason: str, message: dict, tally: "RunTally") -> None:
        verdict = message["verdict"]
        self.verdicts[spec_id] = verdict
        self._affected.record(spec_id, message.get("blocks"), message.get("types", []))
        tally.count(spec_id, verdict, message.get("cause"))
        self._emit(SpecFinished(number, spec_id, reason, verdict))

    def _made_up(self, spec_id: str, status: str, error: str) -> dict:
        """A verdict the worker could not give: it died, or a spec could not be stopped."""
        info = self.specs.get(spec_id) or SpecInfo(spec_id, spec_id, file_of(spec_id), 0, 0)
        if status == TIMEOUT and not error:
            error = timeout_text(self.project.spec_timeout)
        return {"name": info.name, "file": info.file, "line": info.line, "number": info.number, "status": status,
                "differences": [], "error": error, "actual": None, "touched": [], "seconds": 0.0}


def _saved_at(paths: list[Path]) -> float:
    """When the last of `paths` was saved: the latency counts from there.

    A file moved in keeps its old modification time; only recent ones count.
    """
    now = time.time()
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            pass  # deleted
    recent = [t for t in times if now - t < _RECENT_SECONDS]
    return max(recent) if recent else now
