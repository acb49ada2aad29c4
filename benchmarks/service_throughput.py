"""Requests a second through `bf serve`, side by side with the same requests in-process.

    python benchmarks/service_throughput.py [--seconds N]

Rows: the same write (AddProducts, one new SKU, fsynced to the tenant's log
before the answer) and read (GetLocInventory) run
  in-process   Tenant.execute directly: no gRPC, same durability
  unix         through a real `bf serve` subprocess on a unix socket
with 1 or 8 client threads, on one tenant or spread over 4 tenants.
The clients run in this process, so they share its GIL: the figures are a
floor for the server, not a ceiling.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc  # noqa: E402
from tests.serve_process import ServeProcess  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402
from workbench.service.tenant import Tenant  # noqa: E402

TENANTS = ["default", "t1", "t2", "t3"]


WARM_UP_SECONDS = 0.5  # new SQLite files are slow to commit to until their WAL has grown


def measure(call, threads: int, seconds: float) -> tuple[float, float]:
    """Calls a second and the median latency in ms, with `threads` threads calling `call(thread, i)`
    (after a warm-up whose calls are not counted)."""
    _calls_for(lambda t, i: call(t, -1 - i), threads, WARM_UP_SECONDS)
    return _calls_for(call, threads, seconds)


def _calls_for(call, threads: int, seconds: float) -> tuple[float, float]:
    latencies: list[list[float]] = [[] for _ in range(threads)]
    deadline = time.perf_counter() + seconds

    def run(thread: int) -> None:
        for i in itertools.count():
            started = time.perf_counter()
            if started > deadline:
                return
            call(thread, i)
            latencies[thread].append(time.perf_counter() - started)
    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    every = sorted(x for thread in latencies for x in thread)
    return len(every) / elapsed, every[len(every) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    seconds = parser.parse_args().seconds
    domain = Domain.load(find_project(ROOT))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        tenant = Tenant("bench", domain, Path(folder) / "inproc")
        shelf = tenant.execute(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="s")])).response.locs[0].uid
        rows.append(("in-process", "write", 1, 1,
                     *measure(lambda t, i: tenant.execute(inv.AddProductsReq(skus=[f"p{t}-{i}"])), 1, seconds)))
        rows.append(("in-process", "read", 1, 1,
                     *measure(lambda t, i: tenant.execute(inv.GetLocInventoryReq(location=shelf)), 1, seconds)))
        tenant.close()

        with ServeProcess(Path(folder) / "served") as server, server.channel() as channel:
            stub = inventory_pb2_grpc.InventoryServiceStub(channel)
            for name in TENANTS[1:]:
                service_pb2_grpc.TenantServiceStub(channel).CreateTenant(service_pb2.CreateTenantReq(name=name))
            shelf = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="s")])).locs[0].uid
            for threads, spread in ((1, 1), (8, 1), (8, 4)):
                def write(t, i, run=f"{threads}x{spread}"):
                    tenant_name = TENANTS[t % spread]
                    stub.AddProducts(inv.AddProductsReq(skus=[f"{run}-{t}-{i}"]), metadata=[("x-tenant", tenant_name)])
                rows.append(("unix", "write", threads, spread, *measure(write, threads, seconds)))
            for threads in (1, 8):
                rows.append(("unix", "read", threads, 1, *measure(
                    lambda t, i: stub.GetLocInventory(inv.GetLocInventoryReq(location=shelf)), threads, seconds)))
            server.stop()

    print(f"{'transport':<11} {'call':<6} {'clients':>7} {'tenants':>7} {'calls/s':>9} {'p50 ms':>7}")
    for transport, call, threads, spread, rate, p50 in rows:
        print(f"{transport:<11} {call:<6} {threads:>7} {spread:>7} {rate:>9.0f} {p50:>7.2f}")
    inproc_write = rows[0][4]
    unix_write = next(r[4] for r in rows if r[0] == "unix" and r[1] == "write" and r[2] == 8 and r[3] == 1)
    print(f"\nunix writes (8 clients, 1 tenant) / in-process writes: {unix_write / inproc_write:.2f}")


if __name__ == "__main__":
    main()
