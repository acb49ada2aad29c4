"""1,000 encrypted tenants with traffic on one `bf serve` node: memory, open
files and request latency, with no bound on open tenants and with the LRU bound.

    python benchmarks/tenants_many.py [--tenants 1000] [--requests 3000] [--max-open 100]

Each run starts a real `bf serve` (encrypted: a fresh BF_MASTER_KEY) on a unix
socket, creates the tenants and gives each a few writes (a location, a
product, stock), then sends --requests requests over the tenants, 80% of them
to the busiest 10% (reads and writes mixed). Memory (RSS) and open files are
read from /proc for the server process after each phase. Latency is per
request, as the client sees it: p50, p99 and the worst, with "cold" requests
(to a tenant the bound had closed, so it is reopened: key unwrapped, SQLCipher
opened) apart.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc  # noqa: E402
from workbench.bench.server_process import ServerProcess  # noqa: E402
from workbench.config import find_project  # noqa: E402


def server_figures(pid: int) -> tuple[float, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kib = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
    return rss_kib / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run(tenants: int, requests: int, max_open: int | None, seed: int) -> dict:
    rng = random.Random(seed)
    options = ("--max-open", str(max_open)) if max_open else ()
    os.environ["BF_MASTER_KEY"] = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="bf-tenants-", dir="/tmp") as folder:
        server = ServerProcess(find_project(ROOT), f"unix:{folder}/s.sock", Path(folder) / "data", options)
        figures = {"bound": max_open or "none"}
        try:
            with grpc.insecure_channel(server.address) as channel:
                admin = service_pb2_grpc.TenantServiceStub(channel)
                stub = inventory_pb2_grpc.InventoryServiceStub(channel)
                names = [f"t{index:04d}" for index in range(tenants)]
                places: dict[str, tuple[str, str]] = {}
                started = time.perf_counter()
                for name in names:
                    admin.CreateTenant(service_pb2.CreateTenantReq(name=name))
                    meta = [("x-tenant", name)]
                    shelf = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")]), metadata=meta).locs[0].uid
                    product = stub.AddProducts(inv.AddProductsReq(skus=[f"sku-{name}"]), metadata=meta).uids[0]
                    stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf, product=product, OnHandChange=100), metadata=meta)
                    places[name] = (shelf, product)
                figures["setup s"] = time.perf_counter() - started
                figures["rss MB (set up)"], figures["fds (set up)"] = server_figures(server.process.pid)
                hot = names[: max(1, tenants // 10)]
                last_used: dict[str, int] = {}
                warm, cold = [], []
                for step in range(requests):
                    name = rng.choice(hot) if rng.random() < 0.8 else rng.choice(names)
                    shelf, product = places[name]
                    meta = [("x-tenant", name)]
                    # Closed by the bound when max_open other tenants were used since (an upper estimate).
                    was_cold = bool(max_open) and step - last_used.get(name, -10**9) > max_open
                    began = time.perf_counter()
                    if rng.random() < 0.5:
                        stub.GetLocInventory(inv.GetLocInventoryReq(location=shelf), metadata=meta)
                    else:
                        stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf, product=product, OnHandChange=1), metadata=meta)
                    (cold if was_cold else warm).append((time.perf_counter() - began) * 1000)
                    last_used[name] = step
                figures["rss MB (traffic)"], figures["fds (traffic)"] = server_figures(server.process.pid)
                figures["warm p50 ms"], figures["warm p99 ms"] = percentile(warm, 0.5), percentile(warm, 0.99)
                figures["cold p50 ms"], figures["cold p99 ms"] = percentile(cold, 0.5), percentile(cold, 0.99)
                figures["worst ms"] = max(warm + cold)
                figures["cold share"] = len(cold) / requests
                figures["mean ms"] = statistics.fmean(warm + cold)
        finally:
            server.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--max-open", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = [run(args.tenants, args.requests, None, args.seed), run(args.tenants, args.requests, args.max_open, args.seed)]
    print(f"{args.tenants} encrypted tenants on one bf serve node (unix socket), {args.requests} requests after set-up")
    keys = list(rows[0])
    print(f"{'':18}" + "".join(f"{'no bound' if row['bound'] == 'none' else 'max-open ' + str(row['bound']):>14}" for row in rows)
          + f"{'ratio':>10}")
    for key in keys[1:]:
        values = [row[key] for row in rows]
        ratio = values[1] / values[0] if isinstance(values[0], (int, float)) and values[0] else float("nan")
        cells = "".join(f"{value:>14.2f}" if isinstance(value, float) else f"{value:>14}" for value in values)
        print(f"{key:18}{cells}{ratio:>10.2f}")


if __name__ == "__main__":
    main()
