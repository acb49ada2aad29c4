"""What checking tokens costs a call: the same read through `bf serve` with and without tokens.

    python benchmarks/auth_overhead.py [--seconds N] [--rounds N]

Two real `bf serve` subprocesses on unix sockets, one in development mode (no
tokens) and one with 1,000 tenant tokens and an operator token; one client
thread in this process reads (ListLocations) from the tenant its token names.
The two are measured in turns, `--rounds` times each, so load from other programs
falls on both; the table gives the median round of each and their ratio. The
interceptor's own cost, measured in-process on the same checks, is the last row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc  # noqa: E402
from tests.serve_process import ServeProcess  # noqa: E402
from workbench.service.auth import Authorizer  # noqa: E402
from workbench.service.client_auth import with_token  # noqa: E402
from workbench.service.tokens import TokenStore  # noqa: E402

TENANT = [("x-tenant", "default")]


def reads_per_second(channel: grpc.Channel, seconds: float) -> tuple[float, float]:
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    latencies = []
    deadline = time.perf_counter() + seconds
    while (started := time.perf_counter()) < deadline:
        stub.ListLocations(inv.ListLocationsReq(), metadata=TENANT)
        latencies.append(time.perf_counter() - started)
    return len(latencies) / seconds, statistics.median(latencies) * 1e6


def check_cost(store: TokenStore, token: str, calls: int = 100_000) -> float:
    authorizer = Authorizer(store, ["protos.InventoryService"])
    metadata = (("authorization", f"Bearer {token}"), *TENANT)
    started = time.perf_counter()
    for _ in range(calls):
        assert authorizer.refusal("/protos.InventoryService/ListLocations", metadata) is None
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per round (default 1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = TokenStore(Path(folder) / "tokens")
        for n in range(1000):
            store.create(operator=False, tenant=f"t{n}")
        token, _ = store.create(operator=False, tenant="default")
        store.create(operator=True)
        environ = {**os.environ, "PYTHONPATH": str(ROOT)}
        open_node = ServeProcess(Path(folder) / "open", env=environ).start()
        tokens_node = ServeProcess(Path(folder) / "tokens", env=environ).start()
        try:
            with grpc.insecure_channel(open_node.address) as plain, \
                    with_token(grpc.insecure_channel(tokens_node.address), token) as checked:
                results: dict[str, list[tuple[float, float]]] = {"open": [], "tokens": []}
                reads_per_second(plain, 0.3), reads_per_second(checked, 0.3)  # warm up
                for _ in range(args.rounds):
                    results["open"].append(reads_per_second(plain, args.seconds))
                    results["tokens"].append(reads_per_second(checked, args.seconds))
        finally:
            open_node.close()
            tokens_node.close()
        per_call = check_cost(store, token)
    rate = {mode: statistics.median(r for r, _ in rows) for mode, rows in results.items()}
    p50 = {mode: statistics.median(p for _, p in rows) for mode, rows in results.items()}
    print(f"{'node':<34} {'reads/s':>9} {'p50 µs':>8}")
    print(f"{'development mode (no tokens)':<34} {rate['open']:>9,.0f} {p50['open']:>8,.0f}")
    print(f"{'1,002 tokens, tenant token':<34} {rate['tokens']:>9,.0f} {p50['tokens']:>8,.0f}")
    print(f"{'ratio (tokens / none)':<34} {rate['tokens'] / rate['open']:>9.2f} {p50['tokens'] / p50['open']:>8.2f}")
    print(f"{'the check alone, in-process':<34} {'':>9} {per_call:>8.1f}")


if __name__ == "__main__":
    main()
