"""Where explore keeps a spec's state: a cache folder inside the project, that git
ignores (it holds its own `.gitignore`), owned by the user alone, one file per spec
named by the spec's id, so projects and users never share or overwrite them."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = ".bf"


def cache_dir(root: Path) -> Path:
    folder = root / CACHE_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# bf's cache: nothing here belongs in git\n*\n")
    return folder


def slug(spec_id: str) -> str:
    """`specs/products/add.spec#2` -> `specs-products-add-spec-2`."""
    return re.sub(r"[^A-Za-z0-9]+", "-", spec_id).strip("-") or "spec"


@dataclass(frozen=True)
class ExploreFiles:
    state: Path  # the final state
    steps: Path  # a folder: the state after each step

    def remove(self) -> None:
        for path in (self.state, self.state.with_name(self.state.name + "-journal")):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.steps, ignore_errors=True)


def explore_files(root: Path, spec_id: str) -> ExploreFiles:
    folder = cache_dir(root) / "explore"
    folder.mkdir(mode=0o700, exist_ok=True)
    name = slug(spec_id)
    return ExploreFiles(folder / f"{name}.db", folder / name)
