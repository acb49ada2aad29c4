"""Tracebacks that show the project's code, not the machinery around it.

A handler's crash passes through the runner, the sandbox and the dispatcher;
a broken feature through importlib. Those frames say nothing about the edit
that broke it, so they go; a traceback with no frame in the project stays whole.
"""

from __future__ import annotations

from pathlib import Path

_FRAME = '  File "'


def project_frames(text: str, folder: Path) -> str:
    lines = text.rstrip("\n").splitlines()
    kept: list[str] = []
    keeping = True
    found = False
    for line in lines:
        if line.startswith(_FRAME):
            keeping = _in(line, folder)
            found = found or keeping
        elif not line.startswith("    "):
            keeping = True  # the header, the exception, a chained traceback's link
        if keeping:
            kept.append(line)
    return "\n".join(kept) + "\n" if found else text


def _in(frame_line: str, folder: Path) -> bool:
    path = frame_line[len(_FRAME):].split('"', 1)[0]
    return Path(path).is_relative_to(folder)
