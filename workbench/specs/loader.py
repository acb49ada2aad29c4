"""Find spec files and parse them, keeping every malformed file's error.

A project's spec files (`*.spec`) check an ERROR line's message as well as its
code; a kata bundle (any other file, e.g. `bundle.txt`) checks the code only,
as the kata's contract says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.specs.errors import SpecSyntaxError
from workbench.specs.model import Spec, SpecFile
from workbench.specs.parser import SPEC_SUFFIX, outline, parse_spec_file



@dataclass
class LoadedSpecs:
    files: list[SpecFile] = field(default_factory=list)
    errors: list[SpecSyntaxError] = field(default_factory=list)
    unparsed: list[tuple[Spec, SpecSyntaxError]] = field(default_factory=list)  # a malformed file's specs, as far as told apart

    @property
    def specs(self) -> list[Spec]:
        return [spec for spec_file in self.files for spec in spec_file.specs]


def spec_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders searched for `*.spec` files, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob(f"*{SPEC_SUFFIX}"))
        else:
            found.append(path)
    return found


def load_specs(paths: list[Path], messages: dict[str, type]) -> LoadedSpecs:
    loaded = LoadedSpecs()
    for path in spec_paths(paths):
        if not path.exists():
            loaded.errors.append(SpecSyntaxError(path, 0, "no such file or folder"))
            continue
        try:
            loaded.files.append(parse_spec_file(path, messages))
        except SpecSyntaxError as error:
            loaded.errors.append(error)
            loaded.unparsed += [(spec, error) for spec in outline(path)]
    return loaded


def matching(specs: list[Spec], text: str | None) -> list[Spec]:
    """Specs whose name or file contains `text` (any case)."""
    if not text:
        return specs
    needle = text.lower()
    return [s for s in specs if needle in s.name.lower() or needle in str(s.path or "").lower()]
