"""Named crash points: the durable steps of maintenance operations, for crash-point testing.

`crash_point("compaction.archived-log")` marks a step that has just become
durable (a rename, an fsync, a file created, an RPC answered). It does nothing
unless the environment names it:

  BF_CRASH_AT=NAME      the process kills itself (SIGKILL, nothing cleaned up)
                        the first time it reaches NAME; NAME@N: the Nth time
  BF_CRASH_TRACE=FILE   every point reached is appended to FILE as `NAME@N`
                        (written before a crash at it), so a harness learns
                        which points an operation passes, and where it died

`tests/crash_harness.py` finds every point in the code, runs each maintenance
operation once to learn its points, then once per point, killed there.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

CRASH_AT_ENV = "BF_CRASH_AT"
CRASH_TRACE_ENV = "BF_CRASH_TRACE"

_reached: Counter[str] = Counter()
_lock = threading.Lock()


def crash_point(name: str) -> None:
    target = os.environ.get(CRASH_AT_ENV)
    trace = os.environ.get(CRASH_TRACE_ENV)
    if not target and not trace:
        return
    with _lock:
        _reached[name] += 1
        here = f"{name}@{_reached[name]}"
        if trace:
            with open(trace, "a", encoding="utf-8") as file:
                file.write(here + "\n")
        if target in (name, here):
            os.kill(os.getpid(), signal.SIGKILL)
