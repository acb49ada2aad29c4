"""A one-line progress bar redrawn in place on a terminal, silent elsewhere."""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO = sys.stderr, enabled: bool | None = None):
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._drawn = False

    def show(self, fraction: float, text: str) -> None:
        if not self.enabled:
            return
        filled = round(max(0.0, min(1.0, fraction)) * WIDTH)
        self.stream.write(f"\r\x1b[2K[{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%}  {text}")
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False
