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
    try:
        return path.relative_to(root).as_posix()  # a symlinked folder stays as named
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
