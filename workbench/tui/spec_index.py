"""What the spec browser shows, without Textual: every spec by id, grouped by
area and file, its last verdict, counts, and the text `/` searches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from workbench.specs.errors import SpecSyntaxError
from workbench.specs.loader import spec_paths
from workbench.specs.message_text import message_line
from workbench.specs.model import Spec, SpecFile
from workbench.specs.parser import outline, parse_spec_file
from workbench.watch.spec_ids import file_of, relative_file, spec_id

NOT_RUN = "not run"
RUN_ALL_REASON = "asked to run all"  # the watch engine's reason for a run of every spec


@dataclass
class SpecEntry:
    spec_id: str
    spec: Spec
    file: str
    _search: str | None = field(default=None, repr=False)

    @property
    def search_text(self) -> str:
        """Name, message types and field values, lower case: what `/` matches."""
        if self._search is None:
            spec = self.spec
            parts = [spec.name, *(message_line(m) for m in spec.messages())]
            if spec.error is not None:
                parts.append(spec.error.code.spec_name)
            self._search = "\n".join(parts).lower()
        return self._search


@dataclass
class FileEntry:
    file: str  # from the project root
    area: str
    spec_file: SpecFile | None
    specs: list[SpecEntry]
    error: str | None = None  # why the file could not be read


class SpecIndex:
    def __init__(self, root: Path, specs_dir: Path, messages: dict[str, type]):
        self.root = root
        self.specs_dir = specs_dir
        self.messages = messages
        self.files: dict[str, FileEntry] = {}
        self.verdicts: dict[str, dict] = {}  # spec id -> report.verdict_json
        self.reasons: dict[str, str] = {}  # spec id -> why the last run that ran it chose it
        self.latest_run: set[str] = set()  # the specs the latest run has finished so far

    def load(self) -> None:
        for path in spec_paths([self.specs_dir]):
            self._read(path)

    def reload_file(self, path: Path) -> bool:
        """Parse one spec file again (after a save); a malformed file keeps its error.

        True when the tree must change: specs came, went or were renamed, or the
        file's error changed."""
        path = path if path.is_absolute() else self.root / path
        before = self._outline(self.files.get(relative_file(self.root, path)))
        return before != self._outline(self._read(path))

    @staticmethod
    def _outline(entry: FileEntry | None):
        return None if entry is None else ([(e.spec_id, e.spec.name) for e in entry.specs], entry.error)

    def _read(self, path: Path) -> FileEntry | None:
        file = relative_file(self.root, path)
        area = self._area(path)
        if not path.exists():
            self.files.pop(file, None)
            return None
        try:
            spec_file = parse_spec_file(path, self.messages)
        except SpecSyntaxError as error:  # its specs, as far as they can be told apart: each one an error
            where = SpecSyntaxError(file, error.line, error.message, error.hint)  # named from the project root
            entry = FileEntry(file, area, None, [SpecEntry(spec_id(file, s.number), s, file) for s in outline(path)],
                              str(where))
        else:
            entry = FileEntry(file, area, spec_file, [SpecEntry(spec_id(file, s.number), s, file) for s in spec_file.specs])
        self.files[file] = entry
        return entry

    def _area(self, path: Path) -> str:
        try:
            parts = path.resolve().relative_to(self.specs_dir.resolve()).parts
        except ValueError:
            return "other"
        return parts[0] if len(parts) > 1 else "(top)"

    def unreadable(self) -> list[str]:
        """Why each file that cannot be read cannot: `specs/x.spec:7: what was wrong`."""
        return [entry.error for entry in self.files.values() if entry.error]

    def entries(self) -> list[SpecEntry]:
        return [entry for file in self.files.values() for entry in file.specs]

    def entry(self, spec_id_: str) -> SpecEntry | None:
        file = self.files.get(file_of(spec_id_))
        if file is None:
            return None
        return next((e for e in file.specs if e.spec_id == spec_id_), None)

    def status(self, spec_id_: str) -> str:
        verdict = self.verdicts.get(spec_id_)
        return verdict["status"] if verdict else NOT_RUN

    def rerun_reason(self, spec_id_: str) -> str | None:
        """Why the latest run picked this spec, unless that run was simply everything."""
        reason = self.reasons.get(spec_id_)
        if spec_id_ in self.latest_run and reason and reason != RUN_ALL_REASON:
            return reason
        return None

    def counts(self, entries: list[SpecEntry]) -> Counter:
        return Counter(self.status(entry.spec_id) for entry in entries)

    def matching(self, text: str) -> list[SpecEntry]:
        needle = text.strip().lower()
        entries = self.entries()
        if not needle:
            return entries
        return [entry for entry in entries if needle in entry.search_text]

    def grouped(self, entries: list[SpecEntry]) -> dict[str, dict[str, list[SpecEntry]]]:
        """area -> file -> entries, areas and files in path order; files that failed to parse included."""
        wanted = {entry.spec_id for entry in entries}
        groups: dict[str, dict[str, list[SpecEntry]]] = {}
        for file in sorted(self.files):
            file_entry = self.files[file]
            chosen = [entry for entry in file_entry.specs if entry.spec_id in wanted]
            if chosen or (file_entry.error and len(wanted) == len(self.entries())):
                groups.setdefault(file_entry.area, {})[file] = chosen
        return groups
