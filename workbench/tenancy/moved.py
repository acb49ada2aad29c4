"""A tenant that moved to another node: every call to it here says where it went."""

from __future__ import annotations

from pathlib import Path

from workbench.core.codes import Code
from workbench.service.rpc import ServiceError
from workbench.tenancy.durable import write_atomically

MOVED_FILE = "moved-to"


class TenantMoved(ServiceError):
    def __init__(self, tenant: str, address: str):
        super().__init__(Code.FAILED_PRECONDITION, f"tenant {tenant!r} moved to {address}: send its requests there")
        self.address = address


class TenantArriving(ServiceError):
    def __init__(self, tenant: str, source: str):
        super().__init__(Code.UNAVAILABLE, f"tenant {tenant!r} is still arriving from {source}: try again in a moment")


class TenantSealed(ServiceError):
    def __init__(self, tenant: str, address: str):
        super().__init__(Code.UNAVAILABLE, f"tenant {tenant!r} is being handed over to {address}:"
                                           " try there in a moment")
        self.address = address


class MovedState:
    """Stands in for a moved (or sealed) tenant's state connection: a request
    that waited for the final switch meets it and is refused, never served here."""

    in_transaction = False

    def __init__(self, tenant: str, address: str, refusal: type[ServiceError] = TenantMoved):
        self.tenant, self.address, self.refusal = tenant, address, refusal

    def execute(self, *args, **kwargs):
        raise self.refusal(self.tenant, self.address)

    def close(self) -> None:
        pass

    def __getattr__(self, name: str):  # anything else a connection offers
        raise self.refusal(self.tenant, self.address)


def record_move(folder: Path, address: str) -> None:
    write_atomically(folder / MOVED_FILE, (address + "\n").encode())


def moved_to(folder: Path) -> str | None:
    path = folder / MOVED_FILE
    return path.read_text(encoding="utf-8").strip() if path.exists() else None
