"""Warm copies: a node keeps every tenant it does not own caught up with the log.

Every `interval` seconds each copy pulls what the tenant's log on JetStream has
beyond it and applies it to its state, so that when the owner dies and this
node takes the lease it has only the last moments to pull, not the whole
history. A copy never appends (only a tenant this node holds the lease of is
served); when this node takes the lease, the copy is handed over as is.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from workbench.core.observer import observer
from workbench.service.tenant import Tenant

INTERVAL_SECONDS = 0.2
NAMES_EVERY_SECONDS = 2.0  # how often the list of tenants is read again
_LOG = logging.getLogger("bf.cluster")


class Replicas:
    def __init__(self, names: Callable[[], list[str]], owned: Callable[[str], bool],
                 lock_for: Callable[[str], threading.Lock], open_copy: Callable[[str], Tenant],
                 interval: float = INTERVAL_SECONDS):
        self._names, self._owned, self._lock_for, self._open_copy = names, owned, lock_for, open_copy
        self._interval = interval
        self._copies: dict[str, Tenant] = {}
        self.lag_seconds: dict[str, float] = {}  # per copy: how old the newest event was when it arrived here
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="bf-replicas", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def take(self, name: str) -> Tenant | None:
        """The warm copy of `name`, handed over to be served (the caller holds the name's lock), or None."""
        self.lag_seconds.pop(name, None)
        return self._copies.pop(name, None)

    def positions(self) -> dict[str, int]:
        return {name: copy.position for name, copy in list(self._copies.items())}

    def _follow(self) -> None:
        names, read_at = [], 0.0
        while not self._stop.wait(self._interval):
            if time.monotonic() - read_at > NAMES_EVERY_SECONDS:
                try:
                    names, read_at = self._names(), time.monotonic()
                except Exception as error:  # JetStream busy: keep the list we have
                    _LOG.debug("replicas: cannot list tenants: %s", error)
            for name in names:
                if not self._stop.is_set() and not self._owned(name):
                    self._refresh(name)

    def _refresh(self, name: str) -> None:
        lock = self._lock_for(name)
        if not lock.acquire(blocking=False):
            return  # being taken over or opened right now
        try:
            copy = self._copies.get(name)
            if copy is None:
                copy = self._copies[name] = self._open_copy(name)
            before = copy.log.last_position
            copy.log.pull(leader=False)
            copy.catch_up()
            if copy.log.last_position > before:
                newest = copy.log.read(after=copy.log.last_position - 1, limit=1)
                if newest:
                    self.lag_seconds[name] = max(0.0, time.time() - newest[0].recorded)
                    observer().replica_pulled(name, copy.log.last_position - before, self.lag_seconds[name])
        except Exception as error:  # JetStream unavailable, or the copy broke: start afresh next time
            _LOG.debug("replicas: %r: %s", name, error)
            broken = self._copies.pop(name, None)
            if broken is not None:
                broken.close()
        finally:
            lock.release()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for copy in self._copies.values():
            copy.close()
        self._copies.clear()
