"""What a forked watch worker does: load the domain fresh from disk, run the
requested specs, and write one JSON line per thing that happened.

The fork server hands over its SpecCache, so spec files are parsed only
when they changed. Lines, in order: `pid`; `registry` (the broken feature modules) or `crash`
(the domain did not load at all: the traceback); `loaded` per spec file (its
specs, or its syntax error); `verdict` per spec; `done`.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from pathlib import Path
from typing import TextIO

from workbench.config import find_project
from workbench.core.domain import Domain
from workbench.core.registry import Registry
from workbench.specs.errors import SpecSyntaxError
from workbench.specs.report import verdict_json
from workbench.specs.runner import ERROR, run_spec
from workbench.specs.sandbox import SpecSandbox
from workbench.watch.spec_cache import SpecCache
from workbench.watch.spec_ids import file_of, relative_file, spec_id
from workbench.watch.tracebacks import project_frames

_FLUSH_SECONDS = 0.005
_FLUSH_AT_ONCE = {"pid", "done"}  # the pid: to be killed when a newer save cancels the run
_flushed = 0.0


def main(root: Path, request_fd: int, result_fd: int, cache: SpecCache | None) -> int:
    with os.fdopen(result_fd, "w", encoding="utf-8") as out:
        _say(out, type="pid", pid=os.getpid())
        with os.fdopen(request_fd, "rb") as pipe:
            request = json.loads(pipe.read())
        try:
            _run(root, request, out, cache)
        except Exception:
            _say(out, type="crash", traceback=traceback.format_exc())
        _say(out, type="done")
    return 0


def _say(out: TextIO, **message) -> None:
    """Write a line; they reach the engine at least every few milliseconds, a
    flush per line costs more than the spec itself."""
    global _flushed
    out.write(json.dumps(message) + "\n")
    now = time.perf_counter()
    if message["type"] in _FLUSH_AT_ONCE or now - _flushed > _FLUSH_SECONDS:
        out.flush()
        _flushed = now


def _run(root: Path, request: dict, out: TextIO, cache: SpecCache | None) -> None:
    domain = Domain.load(find_project(root))
    registry = domain.registry
    if cache is None or cache.messages != domain.messages:
        cache = SpecCache(domain.messages)
    _say(out, type="registry", broken=[
        {"file": relative_file(root, b.path), "error": b.error, "traceback": b.traceback} for b in registry.broken])
    wanted = set(request["specs"])
    whole = set(request["files"])
    specs = []
    for file in sorted(whole | {file_of(s) for s in wanted}):
        if not (root / file).exists():
            _say(out, type="loaded", file=file, specs=[], error=None)  # deleted: so are its specs
            continue
        try:
            spec_file = cache.get(root / file)
        except SpecSyntaxError as error:
            where_from_root = SpecSyntaxError(file, error.line, error.message, error.hint)
            _say(out, type="loaded", file=file, specs=[], error=str(where_from_root))
            continue
        infos = [{"spec_id": spec_id(file, s.number), "name": s.name, "file": file, "line": s.line,
                  "number": s.number} for s in spec_file.specs]
        _say(out, type="loaded", file=file, specs=infos, error=None)
        specs += [(info["spec_id"], s) for info, s in zip(infos, spec_file.specs)
                  if file in whole or info["spec_id"] in wanted]
    sandbox = SpecSandbox(domain)
    for id_, spec in specs:
        verdict = run_spec(spec, sandbox, registry)
        unserved = _unserved(spec, registry)
        if verdict.status == ERROR:
            verdict.error = _error_text(verdict.error, unserved, registry, domain.project.domain_dir)
        _say(out, type="verdict", id=id_, verdict=verdict_json(verdict), touched=sorted(verdict.touched),
             unserved=unserved)


def _error_text(error: str, unserved: bool, registry: Registry, domain_dir: Path) -> str:
    """The crash as the project's code tells it: for a spec that found no handler or
    applier while a feature is broken, the broken feature's own import error."""
    if unserved and registry.broken:
        missing = error.rstrip().splitlines()[-1]
        broken = (f"broken feature: {b.error}\n{project_frames(b.traceback, domain_dir)}" for b in registry.broken)
        return "\n".join([missing, *broken])
    return project_frames(error, domain_dir)


def _unserved(spec, registry: Registry) -> bool:
    """The spec needs a handler or an applier that no feature provides."""
    return type(spec.when) not in registry.handlers or any(
        type(event) not in registry.appliers for event in (*spec.given, *spec.events))
