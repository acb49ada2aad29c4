"""Spec ids: stable strings front ends key their state by.

`specs/products/add.spec#2` is the second spec of that file (path from the
project root). Editing a spec's text or comments keeps its id; only adding or
removing specs above it renumbers it.
"""

from __future__ import annotations

from pathlib import Path


def spec_id(file: str, number: int) -> str:
    return f"{file}#{number}"


def file_of(spec_id: str) -> str:
    return spec_id.rpartition("#")[0]


def relative_file(root: Path, path: Path) -> str:
    """`path` from the project root, with forward slashes."""
    for inside, top in ((path, root), (path.resolve(), root.resolve())):  # a symlinked folder stays as named
        try:
            return inside.relative_to(top).as_posix()
        except ValueError:
            pass
    return path.as_posix()
