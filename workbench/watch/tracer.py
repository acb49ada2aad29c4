"""Which blocks of the domain a spec's run executes, and their fingerprints as run.

A method counts for its whole class: an instance made by an earlier spec (a
cached runtime, say) may serve this one, whose run then never executes the
`__init__` or the setup its outcome depends on.

A call tracer (`sys.settrace`) that only looks at the code object of each new
frame and never asks for line events: one cheap check per Python call, and
nothing at all inside the domain's loops. The fingerprints come from the very
source each module was compiled from (fresh_source), so a save racing the run
cannot make a spec look up to date with code it never ran.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from workbench.watch.blocks import MODULE, block_of, fingerprints
from workbench.watch.fresh_source import used_source
from workbench.watch.spec_ids import relative_file


class BlockTracer:
    def __init__(self, root: Path, folder: Path):
        self._root = root
        self._prefix = str(folder) + os.sep  # as imported: through the project root on sys.path, symlinks kept
        self._codes: set = set()
        self._fingerprints: dict[str, dict[str, str] | None] = {}  # file -> its blocks, as imported
        self._names: dict[str, str] = {}  # file -> its name from the root

    def __enter__(self) -> "BlockTracer":
        self._codes = set()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(None)

    def _call(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename.startswith(self._prefix):
            self._codes.add(code)
        return None  # no line events

    def executed(self) -> dict[str, dict[str, str]]:
        """file (from the root) -> block -> fingerprint, for every block the last run executed;
        every file executed also gives its module level, which its functions read."""
        found: dict[str, dict[str, str]] = {}
        for code in self._codes:
            blocks = self._blocks(code.co_filename)
            file = self._names.get(code.co_filename) or self._name(code.co_filename)
            chosen = found.setdefault(file, {MODULE: blocks.get(MODULE, "?")})
            name = block_of(code)
            chosen[name] = blocks.get(name, "?")  # "?": not in the source as imported; any change reruns it
            if "." in name:  # a method: the whole class, for its instances outlive a spec (a cached runtime, say)
                owner = name.rpartition(".")[0] + "."
                chosen.update({b: f for b, f in blocks.items() if b.startswith(owner)})
        return found

    def _name(self, filename: str) -> str:
        self._names[filename] = relative_file(self._root, Path(filename))
        return self._names[filename]

    def _blocks(self, filename: str) -> dict[str, str]:
        if filename not in self._fingerprints:
            source = used_source(filename)
            self._fingerprints[filename] = fingerprints(source, filename) if source is not None else None
        return self._fingerprints[filename] or {}
