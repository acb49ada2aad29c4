"""The watchdog: stops a script run that is past its time, wherever it is.

The instruction budget counts Lua instructions, but some single instructions
cost time in proportion to the data they touch (comparing, concatenating or
converting strings of megabytes), so a run can stay under its count and still
take seconds. One thread per process watches every run's deadline; when one
passes, it arms the run's count hook to fire at the very next instruction,
with `lua_sethook`: the call Lua documents as safe from another thread or a
signal handler (the standalone `lua` uses it to stop a script on Ctrl-C).
The hook then fails the run like a spent budget does.

The limit is on the CPU time of the thread running the script, so a loaded
machine does not fail scripts that are merely slow to be scheduled; a run is
stopped anyway once WALL_FACTOR times the limit has passed on the clock.

lupa runs Lua without holding the GIL, so this thread gets to run while a
script does, and it reaches `lua_sethook` through the Lua C API that lupa's
extension module exports (lupa itself has no call for it).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from dataclasses import dataclass, field

from lupa import lua54

_LUA_MASKCOUNT = 8
WALL_FACTOR = 2.4  # 600 ms on the clock for a 250 ms limit


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


@dataclass(eq=False, slots=True)
class Watch:
    """One run under watch: `expired` tells afterwards whether the watchdog stopped it."""

    state: int
    hook: int
    seconds: float
    cpu_clock: int  # the running thread's CPU clock
    cpu_start: float
    deadline: float  # when to look next
    last_deadline: float  # when to stop it whatever its CPU time
    expired: bool = field(default=False)

    def due(self, now: float) -> bool:
        """Past its time? If not, `deadline` moves to when it could first be."""
        left = self.seconds - (time.clock_gettime(self.cpu_clock) - self.cpu_start)
        if left <= 0 or now >= self.last_deadline:
            return True
        self.deadline = min(now + max(left, 0.005), self.last_deadline)
        return False


class Watchdog:
    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked child has no watchdog thread: it starts its own

    def _reset(self) -> None:
        self._watches: set[Watch] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, state: int, hook: int, seconds: float) -> Watch:
        """Watch the run about to start on `state`, in this thread (its count hook already set to `hook`).

        No wake-up call: the watchdog never sleeps longer than `seconds`, and
        every deadline already watched is earlier than this one.
        """
        clock = time.pthread_getcpuclockid(threading.get_ident())
        now = time.monotonic()
        watch = Watch(state, hook, seconds, clock, time.clock_gettime(clock), now + seconds, now + WALL_FACTOR * seconds)
        with self._lock:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._patrol, args=(seconds,), name="bf-script-watchdog",
                                                daemon=True)
                self._thread.start()
        return watch

    def release(self, watch: Watch) -> None:
        """The run is over: from now on the watchdog never touches its state."""
        with self._lock:
            self._watches.discard(watch)

    def _patrol(self, period: float) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                for watch in [watch for watch in self._watches if watch.deadline <= now and watch.due(now)]:
                    # Under the lock: the run cannot be released (and its state reused) meanwhile.
                    _API.lua_sethook(watch.state, watch.hook, _LUA_MASKCOUNT, 1)
                    watch.expired = True
                    self._watches.discard(watch)
                wake = min((watch.deadline for watch in self._watches), default=now + period)
            time.sleep(max(wake - now, 0.001))


WATCHDOG = Watchdog()
