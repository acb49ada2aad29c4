"""What the watch remembers across restarts, in the project's `.bf-cache/`
(git-ignored by a `.gitignore` of its own, as pytest's cache is).

After every run: each spec's last verdict, what its run executed, who served
each message, and a hash of every watched file. On start, the engine shows the
remembered verdicts at once and runs only what changed since: files whose
hash differs go through the affected map as if just saved. When the
framework, `[tool.bf]`, Python or an installed package changed, nothing
remembered is trusted: every spec runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from workbench.config import Project
from workbench.specs.loader import spec_paths
from workbench.watch.affected import Selection
from workbench.watch.events import Event, SpecFinished, SpecInfo, SpecsLoaded
from workbench.watch.spec_ids import relative_file

if TYPE_CHECKING:
    from workbench.watch.engine import WatchEngine

CACHE_FOLDER = ".bf-cache"
REMEMBERED_REASON = "remembered from the last session"
_VERSION = 1


@dataclass
class Remembered:
    events: list[Event]  # the last verdicts, as events a front end already understands
    selection: Selection  # what changed since


class Memory:
    def __init__(self, project: Project):
        self.project = project
        self.folder = project.root / CACHE_FOLDER
        self.path = self.folder / "watch.json"

    def save(self, engine: "WatchEngine") -> None:
        affected = engine._affected
        data = {
            "version": _VERSION,
            "saved_at": time.time(),  # before hashing: a file saved around now counts as changed next time
            "environment": engine._environment.key(engine.framework),
            "files": self._hashes(),
            "specs": [asdict(info) for info in engine.specs.values()],
            "verdicts": engine.verdicts,
            "records": {s: {"blocks": r.blocks, "types": sorted(r.types)} for s, r in affected.records.items()},
            "seen": affected.seen,
            "claims": engine._claims,
            "broken": engine.broken,
            "broken_errors": engine._broken_errors,
            "stale": engine.stale,
        }
        self.folder.mkdir(mode=0o700, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# written by bf watch: nothing here belongs in git\n*\n")
        partial = self.path.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(data, file)
        os.replace(partial, self.path)

    def load(self, engine: "WatchEngine") -> Remembered | None:
        """Put the remembered state into `engine`; None when there is none to trust."""
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if data.get("version") != _VERSION or data["environment"] != engine._environment.key(engine.framework):
            return None
        affected = engine._affected
        engine.specs = {info["spec_id"]: SpecInfo(**info) for info in data["specs"]}
        engine.verdicts = {s: v for s, v in data["verdicts"].items() if s in engine.specs}
        for spec_id, record in data["records"].items():
            affected.record(spec_id, record["blocks"], record["types"])
        saved_seen = data["seen"]
        now = self._hashes()
        changed = sorted(f for f in set(now) | set(data["files"])
                         if now.get(f) != data["files"].get(f) or _modified_since(self.project.root / f, data["saved_at"]))
        affected.seen.update({f: saved_seen.get(f) for f in changed if f in saved_seen})
        engine._claims, engine._broken_errors = data["claims"], data["broken_errors"]
        engine.broken, engine.stale = data["broken"], data["stale"]
        events: list[Event] = []
        by_file: dict[str, list[SpecInfo]] = {}
        for info in engine.specs.values():
            by_file.setdefault(info.file, []).append(info)
        for file, infos in by_file.items():
            events.append(SpecsLoaded(0, file, infos))
        events += [SpecFinished(0, s, REMEMBERED_REASON, v) for s, v in engine.verdicts.items()]
        selection = affected.select([self.project.root / f for f in changed]) if changed else Selection()
        return Remembered(events, selection)

    def _hashes(self) -> dict[str, str]:
        """file (from the root) -> a hash of its bytes, for every file the watch watches in the project."""
        project = self.project
        paths = set(spec_paths([project.specs_dir])) | {project.schema_path}
        paths |= {p for p in project.domain_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        hashes = {}
        for path in sorted(paths):
            try:
                hashes[relative_file(project.root, path)] = hashlib.blake2b(path.read_bytes(), digest_size=12).hexdigest()
            except OSError:
                pass
        return hashes


def _modified_since(path, moment: float) -> bool:
    """Saved within a second or two of `moment`, or after: its verdicts may answer the older text."""
    try:
        return path.stat().st_mtime > moment - 2.0
    except OSError:
        return False
