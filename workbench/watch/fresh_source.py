"""Import the project's modules from their current source, never from a .pyc.

A .pyc is trusted when the source's modification time (in whole seconds) and
size match, so two same-size saves within one second would run the older
code. Instead, code compiled from source is kept in memory, keyed by the
file's exact stamp: the fork server compiles the project's modules ahead, a
worker it forks inherits them, and only a file changed since compiles again.
"""

from __future__ import annotations

import sys
from importlib.machinery import SOURCE_SUFFIXES, FileFinder, SourceFileLoader
from pathlib import Path
from types import CodeType

from workbench.watch.stamp import file_stamp, settled

_compiled: dict[str, tuple[tuple, CodeType, bytes]] = {}  # source file -> (its stamp, its code, its source)
_used: dict[str, bytes] = {}  # source file -> the source its imported code was compiled from


class _FreshSourceLoader(SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        return compiled(self.get_filename(fullname))


def compiled(path: str) -> CodeType:
    """The code of `path` as it is on disk now; raises SyntaxError for a broken file."""
    stamp = file_stamp(path)  # before reading: a save in between makes the next stamp differ
    hit = _compiled.get(path)
    if hit is not None and hit[0] == stamp:
        _used[path] = hit[2]
        return hit[1]
    with open(path, "rb") as file:
        source = file.read()
    code = compile(source, path, "exec", dont_inherit=True)
    _used[path] = source
    if settled(stamp):
        _compiled[path] = (stamp, code, source)
    return code


def used_source(path: str) -> bytes | None:
    """The source the code last imported from `path` was compiled from (None: not imported so)."""
    return _used.get(path)


def precompile(folder: Path) -> None:
    """Compile every module under `folder` that changed since it was last compiled;
    not one saved a moment ago, which could not be kept (its worker compiles it)."""
    for path in folder.rglob("*.py"):
        if settled(file_stamp(path)):
            try:
                compiled(str(path))
            except (SyntaxError, ValueError, OSError):
                pass  # the worker importing it reports the error


def compile_from_source(root: Path) -> None:
    """From now on, modules under `root` are imported from their current source."""
    root = root.resolve()

    def finder_for(path: str):
        if not Path(path).resolve().is_relative_to(root):
            raise ImportError(f"{path} is outside the project")  # the next path hook handles it
        return FileFinder(path, (_FreshSourceLoader, SOURCE_SUFFIXES))

    sys.path_hooks.insert(0, finder_for)
    sys.path_importer_cache.clear()
