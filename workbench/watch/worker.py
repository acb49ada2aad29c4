"""What a forked watch worker does: load the domain fresh from disk, run the
requested specs, and write one JSON line per thing that happened.

The fork server hands over its SpecCache, so spec files are parsed only
when they changed. Lines, in order: `pid`; `registry` (the broken feature
modules and who serves each message) or `crash` (the domain did not load at
all: the traceback); `contracts` when asked to check them; `selected` (specs
the registry's changes add to the run); `loaded` per spec file (its specs, or
its syntax error and the specs it seems to hold); `running` for a spec that
takes a while; `verdict` per spec, with the blocks its run executed and the
message types it dispatched; `done`, or `stopped` after a timeout (the
worker is then replaced, for the spec may have left anything behind).
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from pathlib import Path
from typing import TextIO

from workbench.config import find_project
from workbench.core.domain import Domain
from workbench.core.registry import Registry
from workbench.specs.errors import SpecSyntaxError
from workbench.specs.parser import outline
from workbench.specs.report import verdict_json
from workbench.specs.runner import ERROR, TIMEOUT, Verdict, run_spec, timeout_text
from workbench.specs.sandbox import SpecSandbox
from workbench.watch.spec_cache import SpecCache
from workbench.watch.spec_ids import file_of, relative_file, spec_id
from workbench.watch.tracebacks import project_frames
from workbench.watch.tracer import BlockTracer

_FLUSH_SECONDS = 0.005
_FLUSH_AT_ONCE = {"pid", "done", "stopped", "running"}
_RUNNING_AFTER = 0.3  # a spec taking longer is named in a `running` line
_GRACE = 2.0  # the watchdog's own deadline past the budget, when the timer could not interrupt the spec


class _Output:
    """JSON lines to the engine, from the main thread and the watchdog."""

    def __init__(self, out: TextIO):
        self.out = out
        self.lock = threading.Lock()
        self.flushed = 0.0

    def say(self, **message) -> None:
        """They reach the engine at least every few milliseconds: a flush per line costs more than a spec."""
        with self.lock:
            self.out.write(json.dumps(message) + "\n")
            now = time.perf_counter()
            if message["type"] in _FLUSH_AT_ONCE or now - self.flushed > _FLUSH_SECONDS:
                self.out.flush()
                self.flushed = now

    def flush(self) -> None:
        with self.lock:
            self.out.flush()
            self.flushed = time.perf_counter()


class _Watchdog(threading.Thread):
    """Flushes lines left in the buffer, names a slow spec, and ends a worker
    whose spec the budget's timer could not interrupt (stuck in C code)."""

    def __init__(self, output: _Output, budget: float):
        super().__init__(daemon=True)
        self.output = output
        self.budget = budget
        self.current: tuple[str, float] | None = None  # (spec id, started)
        self._named: str | None = None

    def run(self) -> None:
        while True:
            time.sleep(0.05)
            current = self.current
            self.output.flush()
            if current is None:
                continue
            spec, started = current
            late = time.perf_counter() - started
            if late > _RUNNING_AFTER and self._named != spec:
                self._named = spec
                self.output.say(type="running", id=spec)
            if late > self.budget + _GRACE and self.current == current:
                self.output.say(type="verdict", id=spec, verdict=None, error=timeout_text(self.budget),
                                blocks=None, types=[])
                self.output.say(type="stopped", reason="timeout")
                os._exit(0)


def main(root: Path, request_fd: int, result_fd: int, cache: SpecCache | None) -> int:
    with os.fdopen(result_fd, "w", encoding="utf-8") as out:
        output = _Output(out)
        output.say(type="pid", pid=os.getpid())
        with os.fdopen(request_fd, "rb") as pipe:
            request = json.loads(pipe.read())
        try:
            timed_out = _run(root, request, output, cache)
        except Exception:
            output.say(type="crash", traceback=traceback.format_exc())
            timed_out = False
        output.say(type="stopped", reason="timeout") if timed_out else output.say(type="done")
    return 0


def _run(root: Path, request: dict, output: _Output, cache: SpecCache | None) -> bool:
    """Run what was asked; True when a spec ran over its budget (the rest is for a fresh worker)."""
    project = find_project(root)
    if request.get("check_contracts"):
        from workbench.commands.protos import stale_contracts

        output.say(type="contracts", stale=stale_contracts(project))
    domain = Domain.load(project)
    registry = domain.registry
    if cache is None or cache.messages != domain.messages:
        cache = SpecCache(domain.messages)
    claims = {t.__name__: f.module for t, f in registry.feature_of.items()}
    broken = [{"file": relative_file(root, b.path), "error": b.error, "traceback": b.traceback} for b in registry.broken]
    output.say(type="registry", broken=broken, claims=claims)
    wanted = dict.fromkeys(request["specs"])
    check = request.get("registry_check")
    if check:
        extra = _claims_changed(check, claims, sorted(b["error"] for b in broken))
        output.say(type="selected", specs=extra)
        wanted.update(dict.fromkeys(extra))
    whole = set(request["files"])
    specs = []
    for file in sorted(whole | {file_of(s) for s in wanted}):
        specs += _load(root, file, cache, whole, wanted, output)
    specs = _ordered(specs, request.get("first", []), request.get("last", []))
    sandbox = SpecSandbox(domain)
    tracer = BlockTracer(root, project.domain_dir)
    watchdog = _Watchdog(output, project.spec_timeout)
    watchdog.start()
    for id_, spec in specs:
        if isinstance(spec, Verdict):  # its file does not parse
            output.say(type="verdict", id=id_, verdict=verdict_json(spec), blocks={}, types=[])
            continue
        watchdog.current = (id_, time.perf_counter())
        with tracer:
            verdict = run_spec(spec, sandbox, registry, project.spec_timeout)
        watchdog.current = None
        types = _types(spec, verdict)
        cause = None
        if verdict.status == ERROR:
            verdict.error, cause = _error_text(verdict.error, _unserved(types, registry), registry, project.domain_dir)
        elif verdict.status == TIMEOUT:
            verdict.error = project_frames(verdict.error, project.domain_dir)
        output.say(type="verdict", id=id_, verdict=verdict_json(verdict), blocks=tracer.executed(), types=types,
                   cause=cause)
        if verdict.status == TIMEOUT:
            return True
    return False


def _load(root: Path, file: str, cache: SpecCache, whole: set[str], wanted: dict, output: _Output) -> list:
    """The specs of `file` to run, as (id, Spec), or (id, Verdict) for a file that does not parse."""
    path = root / file
    if not path.exists():
        output.say(type="loaded", file=file, specs=[], error=None)  # deleted: so are its specs
        return []
    try:
        specs, error = cache.get(path).specs, None
    except SpecSyntaxError as syntax_error:
        specs, error = outline(path), str(SpecSyntaxError(file, syntax_error.line, syntax_error.message,
                                                          syntax_error.hint))
    infos = [{"spec_id": spec_id(file, s.number), "name": s.name, "file": file, "line": s.line, "number": s.number}
             for s in specs]
    output.say(type="loaded", file=file, specs=infos, error=error)
    chosen = [(info["spec_id"], s) for info, s in zip(infos, specs) if file in whole or info["spec_id"] in wanted]
    if error is None:
        return chosen
    return [(id_, Verdict(s, ERROR, error=f"its spec file does not parse: {error}\n")) for id_, s in chosen]


def _ordered(specs: list, first: list[str], last: list[str]) -> list:
    """Standing failures first, specs that timed out last, the rest in file order."""
    rank = {id_: -len(first) + n for n, id_ in enumerate(first)} | {id_: 1 + n for n, id_ in enumerate(last)}
    return sorted(specs, key=lambda item: rank.get(item[0], 0))


def _claims_changed(check: dict, claims: dict[str, str], broken: list[str]) -> dict[str, str]:
    """Specs whose messages another feature (or none) serves now, or that found no
    feature while the broken ones changed: spec id -> why."""
    before = check["claims"]
    chosen: dict[str, str] = {}
    for type_name in sorted(set(before) | set(claims)):
        if before.get(type_name) != claims.get(type_name):
            now, was = claims.get(type_name, "no feature"), before.get(type_name, "no feature")
            for spec in check["uses"].get(type_name, []):
                chosen.setdefault(spec, f"{type_name} is served by {now} now (was {was})")
    if broken != check["broken"]:
        for type_name, specs in check["uses"].items():
            if type_name not in claims:
                for spec in specs:
                    chosen.setdefault(spec, f"it needs {type_name}, which no feature serves, and the broken features changed")
    return chosen


def _types(spec, verdict: Verdict) -> list[str]:
    """The message types the run dispatched: given events, the request, the events it produced."""
    produced = verdict.outcome.events if verdict.outcome is not None else []
    return sorted({type(m).__name__ for m in (*spec.given, spec.when, *produced)})


def _error_text(error: str, unserved: bool, registry: Registry, domain_dir: Path) -> tuple[str, str | None]:
    """The crash as the project's code tells it: for a spec that found no handler or
    applier while a feature is broken, the broken feature's own import error; and
    that import error alone, the cause many specs share (None: the error is its own cause)."""
    if unserved and registry.broken:
        missing = error.rstrip().splitlines()[-1]
        cause = "\n".join(f"broken feature: {b.error}\n{project_frames(b.traceback, domain_dir)}" for b in registry.broken)
        return f"{missing}\n{cause}", cause
    return project_frames(error, domain_dir), None


def _unserved(types: list[str], registry: Registry) -> bool:
    """The spec needs a handler or an applier that no feature provides."""
    served = {t.__name__ for t in (*registry.handlers, *registry.appliers)}
    return any(t not in served for t in types)
