"""Which specs a change affects, and why: the affected-spec map.

- a spec file changed: its specs (the whole file runs, so new specs run too);
- a feature file changed: every spec whose last run touched that feature's
  handler or appliers (the runner records them), every spec whose run touched
  a feature importing it, the spec file mirroring it, and every spec that
  needed a handler or applier no feature provided (the change may be the fix);
- a shared module changed (domain/totals.py, say): the specs that touched the
  features importing it, directly or through other modules;
- the schema, the contracts, or a file no feature imports: every spec; so
  does any domain change before a spec has run, since nothing is known yet.

It errs on the side of running more: a missed rerun costs trust. Choosing
takes well under a millisecond, so it runs on every save.
"""

from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field
from pathlib import Path

from workbench.config import Project
from workbench.specs.loader import SPEC_SUFFIX, spec_paths
from workbench.watch.events import Selected, SpecInfo
from workbench.watch.spec_ids import file_of, relative_file


@dataclass
class Selection:
    """Specs to run, each with the reason it was chosen."""

    specs: dict[str, str] = field(default_factory=dict)  # spec id -> reason
    files: dict[str, str] = field(default_factory=dict)  # spec file run whole -> reason
    since: float = field(default_factory=time.time)  # when it was asked for: the save, or the key press
    select_ms: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.specs and not self.files

    def merge(self, other: "Selection") -> "Selection":
        """Both selections; the first reason given for a spec stays."""
        return Selection({**other.specs, **self.specs}, {**other.files, **self.files},
                         min(self.since, other.since), self.select_ms + other.select_ms)

    def without(self, finished: set[str]) -> "Selection":
        return Selection({s: r for s, r in self.specs.items() if s not in finished}, dict(self.files),
                         self.since, self.select_ms)

    def reason_for(self, spec_id: str) -> str:
        return self.specs.get(spec_id) or self.files.get(file_of(spec_id), "")

    def known_ids(self, catalogue: dict[str, SpecInfo]) -> set[str]:
        return {s for s in catalogue if s in self.specs or file_of(s) in self.files}

    def known(self, catalogue: dict[str, SpecInfo]) -> list[Selected]:
        """The chosen specs already known, in catalogue order, each with its reason."""
        return [Selected(s, self.reason_for(s)) for s in catalogue if s in self.specs or file_of(s) in self.files]

    def request(self) -> dict:
        """What the worker runs: whole files, and single specs."""
        return {"files": sorted(self.files), "specs": sorted(self.specs)}


@dataclass
class _Record:
    touched: frozenset[str]  # feature modules the spec's last run went through
    unserved: bool  # it needed a handler or applier no feature provided


class AffectedMap:
    def __init__(self, project: Project):
        self.project = project
        self._records: dict[str, _Record] = {}
        self._imports: dict[str, set[str]] = {}  # domain module -> the domain modules it imports
        for path in sorted(project.domain_dir.rglob("*.py")):
            if not self._is_contract(path):
                self._scan(path)

    # -- what the runs teach it -------------------------------------------------

    def record(self, spec_id: str, touched: frozenset[str], unserved: bool) -> None:
        self._records[spec_id] = _Record(touched, unserved)

    def forget(self, spec_id: str) -> None:
        self._records.pop(spec_id, None)

    # -- choosing ---------------------------------------------------------------

    def everything(self, reason: str) -> Selection:
        root = self.project.root
        return Selection(files={relative_file(root, p): reason for p in spec_paths([self.project.specs_dir])})

    def these(self, spec_ids: list[str], reason: str) -> Selection:
        return Selection(specs={s: reason for s in spec_ids})

    def select(self, changed: list[Path]) -> Selection:
        started = time.perf_counter()
        selection = Selection()
        for path in changed:
            selection = selection.merge(self._affected_by(path))
        selection.select_ms = (time.perf_counter() - started) * 1000
        return selection

    def _affected_by(self, path: Path) -> Selection:
        project = self.project
        name = relative_file(project.root, path)
        if path.suffix == SPEC_SUFFIX:
            return Selection(files={name: f"its spec file changed: {name}"}) if self._is_spec(path) else Selection()
        if path == project.schema_path:
            return self.everything(f"the schema changed: {name}")
        if self._is_contract(path):
            return self.everything(f"the contracts changed: {name}")
        if path.suffix != ".py" or not path.is_relative_to(project.domain_dir):
            return self.everything(f"{name} changed and no map says what it affects")
        if not self._records:
            return self.everything(f"{name} changed and no spec has run yet to tell what it affects")
        module = self._module(path)
        self._scan(path)
        importers = self._importers(module)
        if self._is_feature(module):
            return self._feature_changed(module, name, importers)
        features = {f for f in importers if self._is_feature(f)}
        if not features:
            return self.everything(f"{name} changed and no feature imports it")
        return self._touching(features, module, name)

    def _feature_changed(self, module: str, name: str, importers: set[str]) -> Selection:
        selection = self._touching({module, *importers}, module, name)
        mirror = self.project.specs_dir / Path(*module.removeprefix(self.project.features + ".").split("."))
        mirror = mirror.with_suffix(SPEC_SUFFIX)
        if mirror.exists():
            selection.files[relative_file(self.project.root, mirror)] = f"its spec file mirrors {name}"
        for spec_id, record in self._records.items():
            if record.unserved:
                selection.specs.setdefault(spec_id, f"it needed a handler or applier no feature provided; {name} changed")
        return selection

    def _touching(self, features: set[str], changed: str, name: str) -> Selection:
        """The specs whose run touched one of `features`, which are or import the `changed` module."""
        specs: dict[str, str] = {}
        for spec_id, record in self._records.items():
            hit = sorted(record.touched & features)
            if hit:
                link = "" if hit[0] == changed else f", which imports {changed}"
                specs[spec_id] = f"its run touched {hit[0]}{link} ({name} changed)"
        return Selection(specs)

    # -- the import graph -------------------------------------------------------

    def _importers(self, module: str) -> set[str]:
        """Every module importing `module`, directly or through others."""
        found: set[str] = set()
        frontier = [module]
        while frontier:
            current = frontier.pop()
            for importer, imported in self._imports.items():
                if current in imported and importer not in found and importer != module:
                    found.add(importer)
                    frontier.append(importer)
        return found

    def _scan(self, path: Path) -> None:
        module = self._module(path)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            return  # deleted or unreadable: keep what it imported last; the worker reports the error
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                imported.add(base)
                imported.update(f"{base}.{alias.name}" for alias in node.names)  # `from domain import totals`
        self._imports[module] = imported

    def _module(self, path: Path) -> str:
        parts = path.relative_to(self.project.root).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def _is_feature(self, module: str) -> bool:
        return module.startswith(self.project.features + ".") and module in self._imports \
            and not self._is_package(module)

    def _is_package(self, module: str) -> bool:
        return (self.project.root / Path(*module.split(".")) / "__init__.py").exists()

    def _is_contract(self, path: Path) -> bool:
        contracts = self.project.root / Path(*self.project.contracts.split("."))
        return path.is_relative_to(contracts)

    def _is_spec(self, path: Path) -> bool:
        return path.is_relative_to(self.project.specs_dir)
