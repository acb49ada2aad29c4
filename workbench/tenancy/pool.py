"""Many tenants on one node: each with its own key, at most `max_open` open.

Opening a tenant unwraps its key and opens its sealed log and SQLCipher state
(page cache bounded by `cache_kib`). Past `max_open`, the least recently used
tenant that no call holds is closed; its next request reopens it. So memory
stays near max_open x (cache_kib + a tenant's fixed cost) however many tenants
the node has, and a failure opening one tenant is that tenant's error alone.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from pathlib import Path
from typing import Callable

from workbench.core.crash_points import crash_point
from workbench.core.domain import Domain
from workbench.core.observer import observer
from workbench.service.tenant import LOG_FILE, Tenant
from workbench.service.tenants import DEFAULT_TENANT, Tenants, UnknownTenant
from workbench.tenancy.keyring import Keyring, TenantShredded
from workbench.tenancy.compactor import recover_switch
from workbench.tenancy.handover import HANDOVER_FILE, SEALED, read_handover
from workbench.tenancy.moved import TenantArriving, TenantMoved, TenantSealed, moved_to
from workbench.tenancy.tenant_cipher import TenantCipher

DEFAULT_CACHE_KIB = 256


class TenantPool(Tenants):
    def __init__(self, domain: Domain, data_dir: Path | str, keyring: Keyring | None = None,
                 max_open: int | None = None, cache_kib: int = DEFAULT_CACHE_KIB):
        self.keyring = keyring
        self.max_open = max_open
        self.cache_kib = cache_kib
        self._holds: Counter[str] = Counter()
        self.arriving: dict[str, str] = {}  # tenant -> the node it is being copied from (migration)
        # The pool's own lock (recency, holds, closing idle tenants), apart from
        # the registry's: it never waits for the registry's lock while holding this one.
        self._pool_lock = threading.RLock()
        self.opened = self.closed_idle = 0  # counters for benchmarks and tests
        # Closing checkpoints and fsyncs a tenant's files (tens of ms): a thread
        # of its own does it, so the request that caused it does not wait.
        self._closing: queue.Queue[Tenant | None] = queue.Queue()
        self._closer = threading.Thread(target=self._close_in_background, name="bf-pool-closer", daemon=True)
        self._closer.start()
        super().__init__(domain, data_dir)
        for folder in self.folder.iterdir():  # half-done switches of a node that was killed
            recover_switch(folder)

    @property
    def encrypted(self) -> bool:
        return self.keyring is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def get(self, name: str = DEFAULT_TENANT) -> Tenant:
        return self._get(name, hold=False)

    def hold(self, name: str = DEFAULT_TENANT) -> tuple[Tenant, Callable[[], None]]:
        return self._get(name, hold=True), lambda: self._release(name)

    def names(self) -> list[str]:
        """The tenants served here: not those that moved away, are moving or arriving, or were shredded."""
        gone = set(self.keyring.shredded()) if self.keyring else set()
        return [n for n in super().names() if n not in gone and self._served_here(self.folder / n)]

    def handovers(self, state: str) -> list[str]:
        """The tenants whose migration record is in `state` (handover.py), a move not yet confirmed."""
        return sorted(path.parent.name for path in self.folder.glob(f"*/{HANDOVER_FILE}")
                      if (record := read_handover(path.parent)) and record.state == state
                      and moved_to(path.parent) is None)

    def open_names(self) -> list[str]:
        """The open tenants, least recently used first."""
        with self._pool_lock:
            return list(self._open)

    def close(self) -> None:
        self._closing.put(None)
        self._closer.join()
        super().close()

    def forget(self, name: str) -> None:
        """Drop a tenant that left (moved) without closing it: calls still holding it meet its stand-in state."""
        with self._pool_lock:
            self._open.pop(name, None)

    def shred(self, name: str) -> None:
        """Close the tenant and delete its key: whatever it left on disk stays unreadable."""
        if self.keyring is None:
            raise RuntimeError("tenants are not encrypted: there is no key to shred")
        with self._pool_lock:
            tenant = self._open.pop(name, None)
            if tenant is not None:
                tenant.close()
            self.keyring.shred(name)

    def adopted(self, name: str) -> Tenant:
        """The tenant, even while it is still arriving (for the migration that fills it)."""
        return super().get(name)

    def create_arriving(self, name: str) -> Tenant:
        """Open the tenant a migration fills (its folder holds the arriving record), held open
        until `drop` or `release_arriving`: closing it for being idle would pull it from under the copy."""
        with self._lock:
            tenant = self._open.get(name) or self._open_tenant(name)
            with self._pool_lock:
                self._holds[name] += 1
            return tenant

    def release_arriving(self, name: str) -> None:
        self._release(name)

    def owns(self, name: str) -> bool:
        """The tenant exists here and is served here (not arriving, moving or moved away)."""
        return (self.folder / name / LOG_FILE).exists() and self._served_here(self.folder / name)

    def drop(self, name: str) -> None:
        """Close the tenant if it is open (a migration is about to replace or remove its files)."""
        with self._lock:
            with self._pool_lock:
                tenant = self._open.pop(name, None)
                self._holds.pop(name, None)
            if tenant is not None:
                tenant.close()

    def _exists(self, name: str) -> bool:
        folder = self.folder / name
        recover_switch(folder)
        return super()._exists(name) or read_handover(folder) is not None

    def _get(self, name: str, hold: bool) -> Tenant:
        if name in self.arriving:
            raise TenantArriving(name, self.arriving[name])
        tenant = super().get(name)
        with self._pool_lock:
            if self._open.get(name) is tenant:
                self._open[name] = self._open.pop(name)  # most recently used last
            if hold:
                self._holds[name] += 1
        return tenant

    def _release(self, name: str) -> None:
        with self._pool_lock:
            self._holds[name] -= 1
            if self._holds[name] <= 0:
                del self._holds[name]

    def _open_tenant(self, name: str) -> Tenant:  # the registry calls it once per name at a time
        folder = self.folder / name
        self._refuse_unless_served_here(name, folder)
        tenant = Tenant(name, self.domain, folder, cipher=self._cipher(name, folder))
        with self._pool_lock:
            if self._closed:
                tenant.close()
                raise RuntimeError("the tenants are closed")
            self._open[name] = tenant
            self.opened += 1
            self._close_idle(keep=name)
        return tenant

    def _refuse_unless_served_here(self, name: str, folder: Path) -> None:
        address = moved_to(folder)
        if address is not None:
            raise TenantMoved(name, address)
        record = read_handover(folder)
        if record is None or record.served_here:
            return
        if record.state == SEALED:
            raise TenantSealed(name, record.peer)
        if name not in self.arriving:  # arriving, and not being copied by this process: a copy cut off
            raise TenantArriving(name, record.peer)

    @staticmethod
    def _served_here(folder: Path) -> bool:
        record = read_handover(folder)
        return moved_to(folder) is None and (record is None or record.served_here)

    def _cipher(self, name: str, folder: Path) -> TenantCipher | None:
        if self.keyring is None:
            return None
        # A key without a log: a creation (or a migration's copy) cut off before its log was made; its key is reused.
        exists = (folder / LOG_FILE).exists() or self.keyring.has(name)
        try:
            if exists:
                keys = self.keyring.keys(name)
            else:
                keys = self.keyring.create(name)
                crash_point("pool.key-created")  # the key is in place, the tenant's log not yet
        except TenantShredded as error:
            raise UnknownTenant(str(error)) from None
        return TenantCipher.for_log(keys, folder / LOG_FILE, self.cache_kib)

    def _close_idle(self, keep: str) -> None:
        if self.max_open is None:
            return
        idle = [n for n in self._open if n != keep and not self._holds[n]]
        for name in idle[: max(0, len(self._open) - self.max_open)]:
            self._closing.put(self._open.pop(name))
            self.closed_idle += 1
            observer().tenant_evicted(name)

    def _close_in_background(self) -> None:
        while (tenant := self._closing.get()) is not None:
            tenant.close()
