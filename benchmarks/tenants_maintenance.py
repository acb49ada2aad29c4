"""Compaction and key rotation of one busy encrypted tenant, while it serves.

    python benchmarks/tenants_maintenance.py [--requests 10000]

The tenant (in-process, encrypted, fsynced log) takes --requests requests of
random inventory traffic; then, with a writer thread still sending requests,
it is compacted and its key rotated. Printed side by side: events and bytes
of the log before and after, how long requests were held (the final switch;
the rekey), how long the whole operation took, and the writer's worst wait.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.compaction import CANON  # noqa: E402
from domain.traffic import InventoryTraffic  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402
from workbench.tenancy.compactor import compact_tenant, replay  # noqa: E402
from workbench.tenancy.fingerprint import state_fingerprint  # noqa: E402
from workbench.tenancy.keyring import Keyring  # noqa: E402
from workbench.tenancy.pool import TenantPool  # noqa: E402
from workbench.tenancy.rotation import rotate_tenant_key  # noqa: E402


class Writer(threading.Thread):
    def __init__(self, tenant, traffic):
        super().__init__(daemon=True)
        self.tenant, self.traffic = tenant, traffic
        self.stop = threading.Event()
        self.waits: list[float] = []

    def run(self) -> None:
        while not self.stop.is_set():
            request = self.traffic.request()
            began = time.perf_counter()
            outcome = self.tenant.execute(request)
            self.waits.append(time.perf_counter() - began)
            self.traffic.observe(request, outcome.response)


def while_writing(tenant, traffic, operation):
    writer = Writer(tenant, traffic)
    writer.start()
    time.sleep(0.2)  # the writer is in its stride before the operation starts
    began = time.perf_counter()
    result = operation()
    took = time.perf_counter() - began
    writer.stop.set()
    writer.join()
    return result, took, max(writer.waits), len(writer.waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    domain = Domain.load(find_project(ROOT))
    with tempfile.TemporaryDirectory(prefix="bf-maint-") as folder:
        keyring = Keyring(Path(folder) / "keys", bytes(range(32)))
        pool = TenantPool(domain, Path(folder) / "data", keyring)
        pool.create("busy")
        tenant = pool.get("busy")
        traffic = InventoryTraffic(11)
        began = time.perf_counter()
        for _ in range(args.requests):
            request = traffic.request()
            traffic.observe(request, tenant.execute(request).response)
        filled = time.perf_counter() - began
        print(f"one encrypted tenant, {args.requests} requests of random traffic in {filled:.1f} s;"
              f" {tenant.log.last_position} events logged")
        done, took, worst, during = while_writing(tenant, traffic, lambda: compact_tenant(tenant, domain))
        live = state_fingerprint(tenant.db, CANON)
        from_log = state_fingerprint(replay(domain, tenant.events()), CANON)  # the compacted log and what came after
        print(f"\ncompaction (a writer kept sending: {during} requests during it)")
        print(f"{'':24}{'before':>12}{'after':>12}{'ratio':>8}")
        print(f"{'events':24}{done.events_before:>12}{done.events_after:>12}{done.events_after / done.events_before:>8.2f}")
        print(f"{'log bytes':24}{done.bytes_before:>12}{done.bytes_after:>12}{done.bytes_after / done.bytes_before:>8.2f}")
        print(f"{'state fingerprint':24}{live[:10]:>12}{from_log[:10]:>12}{'equal' if live == from_log else 'DIFFERENT':>8}"
              "  (the live state; a fresh one replayed from the new log)")
        print(f"requests held by the final switch {done.pause_seconds * 1000:.1f} ms; whole compaction {took * 1000:.0f} ms;"
              f" the writer's worst wait {worst * 1000:.1f} ms")
        rotation, took, worst, during = while_writing(tenant, traffic, lambda: rotate_tenant_key(keyring, tenant))
        print(f"\nkey rotation (a writer kept sending: {during} requests during it)")
        print(f"resealed {rotation.resealed} records under key version {rotation.version}; state rekeyed while requests"
              f" waited {rotation.pause_seconds * 1000:.1f} ms; whole rotation {took * 1000:.0f} ms;"
              f" the writer's worst wait {worst * 1000:.1f} ms")
        pool.close()


if __name__ == "__main__":
    main()
