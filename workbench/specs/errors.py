"""The error a malformed spec gets: file, line, what was wrong, and a hint."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Iterable


class SpecSyntaxError(Exception):
    def __init__(self, path: Path | str | None, line: int, message: str, hint: str | None = None):
        self.path = path
        self.line = line
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path or '<spec>'}:{self.line}" if self.line else f"{self.path or '<spec>'}"
        text = f"{where}: {self.message}"
        return f"{text}; did you mean {self.hint}?" if self.hint else text


def closest(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None
