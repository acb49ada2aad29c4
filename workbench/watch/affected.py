"""Which specs a change affects, and why: the affected-spec map.

What each spec's last run executed is known block by block (blocks.py: a
function or method, or a module's top level) with the fingerprint each block
had as it ran, and which message types it dispatched. Then:

- a spec file changed: its specs (the whole file runs, so new specs run too);
- a domain module changed: the specs that executed a block of it whose
  fingerprint changed; when its module level changed (an import, a constant,
  a `def` line, or it no longer parses), also every spec that executed code in
  a module importing it, directly or not, since that code may read what it
  defines. The run also compares who serves each message (the registry) with
  the last run, and adds the specs of every message whose feature changed: a
  new file, a deleted one, a second claim, a feature that stopped importing;
- the schema, the generated contracts, a data file in the domain, the
  framework (`workbench`) or `[tool.bf]`: every spec; a `.proto` file: a check
  of the contracts (stale until `bf protos`);
- a spec whose last run ended before saying what it executed: any domain change.

Standing failures are added to every run by the engine. Choosing takes a
millisecond or so, so it runs on every save.
"""

from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field
from pathlib import Path

from workbench.config import Project
from workbench.specs.loader import SPEC_SUFFIX, spec_paths
from workbench.watch.blocks import MODULE, fingerprints
from workbench.watch.events import Selected, SpecInfo
from workbench.watch.spec_ids import file_of, relative_file

_DATA_SUFFIXES = (".sql", ".lua", ".json", ".toml", ".yaml", ".yml", ".csv", ".txt")


@dataclass
class Selection:
    """Specs to run, each with the reason it was chosen, and what the run must also do."""

    specs: dict[str, str] = field(default_factory=dict)  # spec id -> reason
    files: dict[str, str] = field(default_factory=dict)  # spec file run whole -> reason
    since: float = field(default_factory=time.time)  # the last save (or key press) it answers
    select_ms: float = 0.0
    check_contracts: bool = False  # compare the generated contracts with the .proto files
    registry_check: bool = False  # compare who serves each message with the last run
    restart: str | None = None  # why the fork server must start afresh (a module it holds changed)

    @property
    def empty(self) -> bool:
        return not self.specs and not self.files and not self.check_contracts and not self.registry_check

    def merge(self, other: "Selection") -> "Selection":
        """Both selections; the first reason given for a spec stays; the later save counts."""
        return Selection({**other.specs, **self.specs}, {**other.files, **self.files},
                         max(self.since, other.since), self.select_ms + other.select_ms,
                         self.check_contracts or other.check_contracts, self.registry_check or other.registry_check,
                         self.restart or other.restart)

    def without(self, finished: set[str], loaded: dict[str, list[str]]) -> "Selection":
        """What is left once `finished` ran; a file run whole whose specs the run
        read (`loaded`: file -> its spec ids) becomes those specs."""
        specs = {s: r for s, r in self.specs.items() if s not in finished}
        files = {}
        for file, reason in self.files.items():
            if file in loaded:
                specs.update({s: reason for s in loaded[file] if s not in finished})
            else:
                files[file] = reason
        return Selection(specs, files, self.since, self.select_ms, self.check_contracts, self.registry_check)

    def reason_for(self, spec_id: str) -> str:
        return self.specs.get(spec_id) or self.files.get(file_of(spec_id), "")

    def known_ids(self, catalogue: dict[str, SpecInfo]) -> set[str]:
        return {s for s in catalogue if s in self.specs or file_of(s) in self.files}

    def known(self, catalogue: dict[str, SpecInfo]) -> list[Selected]:
        """The chosen specs already known, in catalogue order, each with its reason."""
        return [Selected(s, self.reason_for(s)) for s in catalogue if s in self.specs or file_of(s) in self.files]


@dataclass
class Record:
    blocks: dict[str, dict[str, str]] | None  # file -> block -> fingerprint as run; None: not known
    types: frozenset[str]  # the message types its run dispatched


class AffectedMap:
    def __init__(self, project: Project, framework: list[Path] = ()):
        self.project = project
        self.framework = [f.resolve() for f in framework]
        self.records: dict[str, Record] = {}
        self.seen: dict[str, dict[str, str] | None] = {}  # domain file -> its blocks when last seen
        self._imports: dict[str, set[str]] = {}  # domain module -> the domain modules it imports
        for path in sorted(project.domain_dir.rglob("*.py")):
            if not self._is_contract(path):
                self._scan(path)
                self.seen[relative_file(project.root, path)] = _read_blocks(path)

    # -- what the runs teach it -------------------------------------------------

    def record(self, spec_id: str, blocks: dict | None, types: list[str]) -> None:
        self.records[spec_id] = Record(blocks, frozenset(types))

    def forget(self, spec_id: str) -> None:
        self.records.pop(spec_id, None)

    def uses(self) -> dict[str, list[str]]:
        """message type -> the specs whose last run dispatched it"""
        found: dict[str, list[str]] = {}
        for spec_id, record in self.records.items():
            for type_name in record.types:
                found.setdefault(type_name, []).append(spec_id)
        return found

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
        if path.suffix == SPEC_SUFFIX and path.is_relative_to(project.specs_dir):
            return Selection(files={name: f"its spec file changed: {name}"})
        if path.name == "pyproject.toml" and path.parent == project.root:
            return self.restart_all(f"the [tool.bf] settings may have changed: {name}")
        if any(path.is_relative_to(f) for f in self.framework) and path.suffix == ".py":
            return self.restart_all(f"the framework changed: {name}")
        if self._is_contract(path):
            if path.suffix == ".proto":
                return Selection(check_contracts=True)
            if path.suffix == ".py":
                return self.restart_all(f"the generated contracts changed: {name}")
            return Selection()
        if path == project.schema_path:
            return self.everything(f"the schema changed: {name}")
        if not path.is_relative_to(project.domain_dir):
            return Selection()
        if path.suffix in _DATA_SUFFIXES:
            return self.everything(f"{name} changed and no map says what reads it")
        if path.suffix != ".py":
            return Selection()
        return self._module_changed(path, name)

    def restart_all(self, reason: str) -> Selection:
        selection = self.everything(reason)
        selection.restart = reason
        selection.check_contracts = True
        return selection

    def _module_changed(self, path: Path, name: str) -> Selection:
        selection = Selection(registry_check=True)
        if not self.records:
            return self.everything(f"{name} changed and no spec has run yet to tell what it affects")
        module = self._module(path)
        self._scan(path)
        old, new = self.seen.get(name), _read_blocks(path)
        self.seen[name] = new
        module_level_changed = old is None or new is None or old.get(MODULE) != new.get(MODULE)
        importers = {self._file_of(m) for m in self._importers(module)} if module_level_changed else set()
        for spec_id, record in self.records.items():
            if record.blocks is None:
                selection.specs[spec_id] = f"its last run ended before telling what it executed ({name} changed)"
                continue
            ran = record.blocks.get(name)
            if ran is not None:
                changed = sorted(b for b, print_ in ran.items() if new is None or new.get(b) != print_)
                if changed:
                    selection.specs[spec_id] = f"its run executed {changed[0]} in {name}, which changed"
                    continue
            user = next((file for file in record.blocks if file in importers), None) if importers else None
            if user is not None:
                selection.specs[spec_id] = f"its run executed {user}, which imports {module} ({name} changed)"
        return selection

    # -- the import graph -------------------------------------------------------

    def _importers(self, module: str) -> set[str]:
        """Every module importing `module`, directly or through others (a package's modules import it)."""
        found: set[str] = set()
        frontier = [module]
        while frontier:
            current = frontier.pop()
            for importer, imported in self._imports.items():
                inside = importer.startswith(current + ".") and self._is_package(current)
                if (current in imported or inside) and importer not in found and importer != module:
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

    def _file_of(self, module: str) -> str:
        base = Path(*module.split("."))
        package = self.project.root / base / "__init__.py"
        return (base / "__init__.py").as_posix() if package.exists() else base.with_suffix(".py").as_posix()

    def _is_package(self, module: str) -> bool:
        return (self.project.root / Path(*module.split(".")) / "__init__.py").exists()

    def _is_contract(self, path: Path) -> bool:
        contracts = self.project.root / Path(*self.project.contracts.split("."))
        return path.is_relative_to(contracts)


def _read_blocks(path: Path) -> dict[str, str] | None:
    try:
        return fingerprints(path.read_bytes(), str(path))
    except OSError:
        return None
