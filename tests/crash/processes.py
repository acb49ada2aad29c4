"""The processes a crash run kills and restarts, and the writer whose
acknowledgements a run checks: a `bf serve` node, and a writer thread that adds
1 to one stock level over and over, following the tenant when it moves."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import grpc

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc
from tests.serve_process import ServeProcess
from workbench.core.crash_points import CRASH_AT_ENV, CRASH_TRACE_ENV
from workbench.tenancy.master_key import MASTER_KEY_ENV

TENANT = "shop"
METADATA = [("x-tenant", TENANT)]
MOVED = re.compile(r"moved to (\S+): send")


class Node:
    """A `bf serve` process on a data folder with its own master key; `crash_at` arms a crash point."""

    def __init__(self, data: Path, master_hex: str, trace: Path):
        self.trace = trace
        self.process = ServeProcess(data, env={MASTER_KEY_ENV: master_hex, CRASH_TRACE_ENV: str(trace)})

    @property
    def address(self) -> str:
        return self.process.address

    def start(self, crash_at: str | None = None) -> "Node":
        self.process.env.pop(CRASH_AT_ENV, None)
        if crash_at:
            self.process.env[CRASH_AT_ENV] = crash_at
        self.process.start()
        return self

    @property
    def died(self) -> bool:
        return self.process.process.poll() is not None

    def wait_dead(self, seconds: float = 5.0) -> bool:
        try:
            self.process.process.wait(seconds)
        except Exception:  # noqa: BLE001 - still running: the caller decides
            return False
        return True

    def restart(self, crash_at: str | None = None) -> None:
        if not self.died:
            self.process.kill9()
        else:
            self.process.process.stdout.close()
        self.start(crash_at)

    def kill9(self) -> None:
        self.process.kill9()

    def close(self) -> None:
        self.process.close()

    def reached(self) -> list[str]:
        """The crash points this node reached, in order (NAME@N)."""
        return self.trace.read_text().split() if self.trace.exists() else []

    def on_hand(self, shelf: str) -> int | str:
        """The shelf's stock as this node serves it, or the name of the status it refused with."""
        with grpc.insecure_channel(self.address) as channel:
            try:
                items = inventory_pb2_grpc.InventoryServiceStub(channel).GetLocInventory(
                    inv.GetLocInventoryReq(location=shelf), metadata=METADATA, timeout=10).items
            except grpc.RpcError as error:
                return error.code().name
        return items[0].OnHand if items else 0

    def accepts_a_write(self, shelf: str, product: str) -> bool:
        """Whether this node runs a write for the tenant: a change of 0, which the handler itself
        rejects (so nothing changes), while a node that does not serve the tenant refuses it before."""
        with grpc.insecure_channel(self.address) as channel:
            stub = inventory_pb2_grpc.InventoryServiceStub(channel)
            try:
                stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf, product=product, OnHandChange=0),
                                     metadata=METADATA, timeout=10)
            except grpc.RpcError as error:
                return "'OnHandChange' is zero" in (error.details() or "")
        return True


class Writer(threading.Thread):
    """Adds 1 to the shelf's stock of `product` until stopped; every answer it got is an acknowledgement."""

    def __init__(self, address: str, shelf: str, product: str):
        super().__init__(daemon=True)
        self.address, self.shelf, self.product = address, shelf, product
        self.acknowledged: list[int] = []
        self.attempts = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            with grpc.insecure_channel(self.address) as channel:
                stub = inventory_pb2_grpc.InventoryServiceStub(channel)
                while not self.halt.is_set():
                    request = inv.UpdateInventoryReq(location=self.shelf, product=self.product, OnHandChange=1)
                    self.attempts += 1
                    try:
                        self.acknowledged.append(stub.UpdateInventory(request, metadata=METADATA, timeout=5).OnHand)
                    except grpc.RpcError as error:
                        moved = MOVED.search(error.details() or "")
                        if moved:
                            self.address = moved.group(1)
                            break
                        time.sleep(0.02)

    def stop(self) -> None:
        self.halt.set()
        self.join(30)
