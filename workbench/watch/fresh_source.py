"""Import the project's modules from their source, never from cached bytecode.

A .pyc is trusted when the source's modification time (in whole seconds) and
size match, so two same-size saves within one second would run the older
code. The project's few small modules compile in a few milliseconds.
"""

from __future__ import annotations

import sys
from importlib.machinery import SOURCE_SUFFIXES, FileFinder, SourceFileLoader
from pathlib import Path


class _FreshSourceLoader(SourceFileLoader):
    def path_stats(self, path):
        raise OSError("compile from source")  # the loader then neither reads nor writes a .pyc


def compile_from_source(root: Path) -> None:
    """From now on, modules under `root` are compiled from source when imported."""
    root = root.resolve()

    def finder_for(path: str):
        if not Path(path).resolve().is_relative_to(root):
            raise ImportError(f"{path} is outside the project")  # the next path hook handles it
        return FileFinder(path, (_FreshSourceLoader, SOURCE_SUFFIXES))

    sys.path_hooks.insert(0, finder_for)
    sys.path_importer_cache.clear()
