"""Parsed spec files, kept by the fork server so that workers need not parse
them again: a worker inherits the cache when it is forked, and a file is
parsed again only when it changed on disk."""

from __future__ import annotations

from pathlib import Path

from workbench.specs.errors import SpecSyntaxError
from workbench.specs.loader import spec_paths
from workbench.specs.model import SpecFile
from workbench.specs.parser import parse_spec_file
from workbench.watch.stamp import file_stamp, settled


class SpecCache:
    def __init__(self, messages: dict[str, type]):
        self.messages = messages
        self._files: dict[Path, tuple[tuple, SpecFile | SpecSyntaxError]] = {}

    def get(self, path: Path) -> SpecFile:
        """The parsed file; raises its SpecSyntaxError when it is malformed."""
        stamp = file_stamp(path)
        cached = self._files.get(path)
        if cached is not None and cached[0] == stamp:
            parsed = cached[1]
        else:
            try:
                parsed = parse_spec_file(path, self.messages)
            except SpecSyntaxError as error:
                parsed = error
            if settled(stamp):
                self._files[path] = (stamp, parsed)
        if isinstance(parsed, SpecSyntaxError):
            raise parsed
        return parsed

    def refresh(self, specs_dir: Path) -> None:
        """Parse every new or changed spec file now, so no worker has to; not one
        saved a moment ago, which could not be kept (its worker parses it)."""
        for path in spec_paths([specs_dir]):
            if settled(file_stamp(path)):
                try:
                    self.get(path)
                except SpecSyntaxError:
                    pass  # kept: the worker that needs the file reports it

