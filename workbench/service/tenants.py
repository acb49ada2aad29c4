"""The tenants of one data folder, opened by name.

Layout: `<data>/tenants/<name>/` holds one tenant (log.db and state.db, see
tenant.py). A tenant exists when its folder holds a log; `create` makes one.
The default tenant is created when the folder is first used.

Names are 1-63 characters of lowercase letters, digits, `_` and `-`, starting
with a letter or digit: they are folder names and must not escape the folder.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Callable

from workbench.core.crash_points import crash_point
from workbench.core.domain import Domain
from workbench.service.tenant import LOG_FILE, Tenant

DEFAULT_TENANT = "default"
TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


class BadTenantName(ValueError):
    pass


class UnknownTenant(LookupError):
    pass


class LeftoverData(Exception):
    """A tenant folder that holds files but no log: creating the tenant there would hide them."""


def check_tenant_name(name: str) -> str:
    if not TENANT_NAME.fullmatch(name):
        raise BadTenantName(
            f"bad tenant name {name[:80]!r}: use 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit")
    return name


class Tenants:
    def __init__(self, domain: Domain, data_dir: Path | str):
        self.domain = domain
        self.folder = Path(data_dir) / "tenants"
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._open: dict[str, Tenant] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.create(DEFAULT_TENANT)

    def get(self, name: str = DEFAULT_TENANT) -> Tenant:
        """The open tenant `name`, opening it (and catching its state up) on first use."""
        tenant = self._open.get(name)  # the common case, without the lock: open names were checked
        if tenant is not None:
            return tenant
        check_tenant_name(name)
        with self._lock:
            tenant = self._open.get(name)
            if tenant is not None:
                return tenant
            if not self._exists(name):
                raise UnknownTenant(f"unknown tenant {name!r}: create it first (TenantService.CreateTenant)")
            return self._open_tenant(name)

    def ready(self, name: str) -> bool:
        """True when `get(name)` returns at once (the tenant is open): nothing to open, no wait."""
        return name in self._open

    def hold(self, name: str = DEFAULT_TENANT) -> tuple[Tenant, Callable[[], None]]:
        """The open tenant `name`, kept open until the returned release is called
        (a pool that closes idle tenants, workbench/tenancy/pool.py, honours it)."""
        return self.get(name), _no_release

    def create(self, name: str) -> bool:
        """Create tenant `name`; False when it already existed."""
        check_tenant_name(name)
        with self._lock:
            if name in self._open or self._exists(name):
                return False
            if leftovers := sorted(p.name for p in (self.folder / name).glob("*")):
                raise LeftoverData(f"tenant {name!r} has no event log but its folder holds {', '.join(leftovers[:5])}:"
                                   " it is not created over them (move them away, or restore log.db)")
            self._open_tenant(name)
            crash_point("tenants.created")
            return True

    def open_count(self) -> int:
        return len(self._open)

    def names(self) -> list[str]:
        return sorted(path.parent.name for path in self.folder.glob(f"*/{LOG_FILE}"))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for tenant in self._open.values():
                tenant.close()
            self._open.clear()

    def _exists(self, name: str) -> bool:
        return (self.folder / name / LOG_FILE).exists()

    def _open_tenant(self, name: str) -> Tenant:
        if self._closed:
            raise RuntimeError("the tenants are closed")
        tenant = Tenant(name, self.domain, self.folder / name)
        self._open[name] = tenant
        return tenant


def _no_release() -> None:
    pass
