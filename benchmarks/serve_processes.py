"""Would a second server process pay? One `bf serve` against two, each owning half the tenants.

    python benchmarks/serve_processes.py [--tenants 4] [--calls 5000] [--repeat 2]

Two client processes each drive half the tenants, a bulk stream per tenant
(window 256) of `AddProductsReq`s, one new sku each (a write: fsynced before
its answer). `one`: both clients call one server that serves every tenant;
`two`: each client calls its own server, which serves only its tenants (what
several processes with each tenant owned by one would do, without the cost of
routing a call to its owner). The rows alternate and repeat; requests/s is
over all tenants, from the first client's start to the last client's end.
The load average is printed: on a shared machine the ratio is what counts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from domain.contracts import inventory_pb2 as inv, service_pb2  # noqa: E402
from workbench.bench.server_process import ServerProcess  # noqa: E402
from workbench.bench.console import table_lines  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.service.bulk_client import BulkClient  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=4, help="tenants in all, half per client (default 4)")
    parser.add_argument("--calls", type=int, default=5000, help="calls per tenant (default 5000)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--client", nargs=2, metavar=("ADDRESS", "TENANTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return drive(args.client[0], args.client[1].split(","), args.calls)
    project = find_project(ROOT)
    tenants = [f"t{n}" for n in range(args.tenants)]
    halves = [tenants[::2], tenants[1::2]]
    rows = []
    for _ in range(args.repeat):
        for servers in (1, 2):
            rows.append((("one server", "two servers")[servers - 1], run(project, servers, halves, args.calls),
                         f"{os.getloadavg()[0]:.1f}"))
    one = [rate for name, rate, _ in rows if name == "one server"]
    print(f"{args.tenants} tenants, {args.calls:,} writes each, two client processes")
    print("\n".join(table_lines(("servers", "req/s", "vs one (mean)", "load"),
                                 [(name, rate, f"{rate / (sum(one) / len(one)):.2f}", load)
                                  for name, rate, load in rows])))


def run(project, servers: int, halves: list[list[str]], calls: int) -> float:
    data = Path(tempfile.mkdtemp(prefix="bf-processes-"))
    started = [ServerProcess(project, f"unix:{data / f's{n}.sock'}", data / f"s{n}") for n in range(servers)]
    try:
        addresses = [server.address for server in started] * (2 // servers)
        for address, half in zip(addresses, halves):
            create = grpc.insecure_channel(address).unary_unary(
                "/bf.TenantService/CreateTenant", service_pb2.CreateTenantReq.SerializeToString,
                service_pb2.CreateTenantResp.FromString)
            for tenant in half:
                create(service_pb2.CreateTenantReq(name=tenant))
        clock = time.perf_counter()
        clients = [subprocess.Popen([sys.executable, __file__, "--calls", str(calls), "--client", address,
                                     ",".join(half)]) for address, half in zip(addresses, halves)]
        for client in clients:
            client.wait()
        return sum(len(half) for half in halves) * calls / (time.perf_counter() - clock)
    finally:
        for server in started:
            server.stop()


def drive(address: str, tenants: list[str], calls: int) -> None:
    channel = grpc.insecure_channel(address)

    def one(tenant: str) -> None:
        replies = BulkClient(channel, tenant=tenant).call_all(
            [inv.AddProductsReq(skus=[f"{tenant}-{n}"]) for n in range(calls)])
        assert all(reply.response is not None for reply in replies), tenant

    threads = [threading.Thread(target=one, args=(tenant,)) for tenant in tenants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
