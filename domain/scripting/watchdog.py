"""The watchdog: stops a script run that is past its time, wherever it is.

The instruction budget counts Lua instructions, but some single instructions
cost time in proportion to the data they touch (comparing, concatenating or
converting strings of megabytes), so a run can stay under its count and still
take seconds. One thread per process watches every run's deadline; when one
passes, it arms the run's count hook to fire at the very next instruction,
with `lua_sethook`: the call Lua documents as safe from another thread or a
signal handler (the standalone `lua` uses it to stop a script on Ctrl-C).
The hook then fails the run like a spent budget does.

lupa runs Lua without holding the GIL, so this thread gets to run while a
script does, and it reaches `lua_sethook` through the Lua C API that lupa's
extension module exports (lupa itself has no call for it).
"""

from __future__ import annotations

import ctypes
import threading
import time
from dataclasses import dataclass, field

from lupa import lua54

_LUA_MASKCOUNT = 8


def _lua_api() -> ctypes.CDLL:
    api = ctypes.CDLL(lua54.__file__)
    api.lua_sethook.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    api.lua_sethook.restype = None
    api.lua_gethook.argtypes = [ctypes.c_void_p]
    api.lua_gethook.restype = ctypes.c_void_p
    return api


_API = _lua_api()


def installed_hook(state: int) -> int:
    """The C hook function `debug.sethook` installed on `state` (Lua's, which calls the Lua hook)."""
    return _API.lua_gethook(state)


@dataclass(eq=False)
class Watch:
    """One run under watch: `expired` tells afterwards whether the watchdog stopped it."""

    state: int
    hook: int
    deadline: float
    expired: bool = field(default=False)


class Watchdog:
    def __init__(self) -> None:
        self._watches: set[Watch] = set()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, state: int, hook: int, seconds: float) -> Watch:
        """Watch the run about to start on `state` (its count hook already set to `hook`)."""
        watch = Watch(state, hook, time.monotonic() + seconds)
        with self._changed:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._patrol, name="bf-script-watchdog", daemon=True)
                self._thread.start()
            elif len(self._watches) == 1:
                self._changed.notify()  # it sleeps until there is something to watch
        return watch

    def release(self, watch: Watch) -> None:
        """The run is over: from now on the watchdog never touches its state."""
        with self._changed:
            self._watches.discard(watch)

    def _patrol(self) -> None:
        with self._changed:
            while True:
                if not self._watches:
                    self._changed.wait()
                    continue
                now = time.monotonic()
                for watch in [watch for watch in self._watches if watch.deadline <= now]:
                    # Under the lock: the run cannot be released (and its state reused) meanwhile.
                    _API.lua_sethook(watch.state, watch.hook, _LUA_MASKCOUNT, 1)
                    watch.expired = True
                    self._watches.discard(watch)
                if self._watches:
                    self._changed.wait(min(watch.deadline for watch in self._watches) - now)


WATCHDOG = Watchdog()
