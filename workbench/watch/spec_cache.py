"""Parsed spec files, kept by the fork server so that workers need not parse
them again: a worker inherits the cache when it is forked, and a file is
parsed again only when it changed on disk."""

from __future__ import annotations

import os
from pathlib import Path

from workbench.specs.errors import SpecSyntaxError
from workbench.specs.loader import spec_paths
from workbench.specs.model import SpecFile
from workbench.specs.parser import parse_spec_file


class SpecCache:
    def __init__(self, messages: dict[str, type]):
        self.messages = messages
        self._files: dict[Path, tuple[tuple, SpecFile | SpecSyntaxError]] = {}

    def get(self, path: Path) -> SpecFile:
        """The parsed file; raises its SpecSyntaxError when it is malformed."""
        stamp = _stamp(path)
        cached = self._files.get(path)
        if cached is None or cached[0] != stamp:
            try:
                parsed: SpecFile | SpecSyntaxError = parse_spec_file(path, self.messages)
            except SpecSyntaxError as error:
                parsed = error
            cached = self._files[path] = (stamp, parsed)
        if isinstance(cached[1], SpecSyntaxError):
            raise cached[1]
        return cached[1]

    def refresh(self, specs_dir: Path) -> None:
        """Parse every new or changed spec file now, so no worker has to."""
        for path in spec_paths([specs_dir]):
            try:
                self.get(path)
            except SpecSyntaxError:
                pass  # kept: the worker that needs the file reports it


def _stamp(path: Path) -> tuple:
    """What changes when the file is saved (editors that replace the file change the inode)."""
    try:
        status = os.stat(path)
    except OSError:
        return ()
    return status.st_mtime_ns, status.st_size, status.st_ino
