"""Finding 4 of issue 12: migration survives a kill -9 of either node.

A source killed mid-copy must not leave the target "still arriving" with every
retry refused; a target killed mid-copy must never serve a half-copied tenant;
a source killed after the target took over must not serve the tenant again.
The killed node is a real `bf serve` process; the other runs in the test."""

from __future__ import annotations

import textwrap
import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc
from domain.contracts.tenancy_pb2 import AbandonReq, AdoptProgressReq, AdoptReq, MigrateReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from tests.serve_process import ServeProcess
from tests.tenancy_nodes import Node

TENANT = [("x-tenant", "shop")]
PRODUCTS = 3000  # events enough that a copy is still running when a node is killed


@pytest.fixture
def node(domain, tmp_path, socket_dir):
    here = Node(domain, tmp_path / "here", socket_dir, bytes(range(32)))
    yield here
    here.server.stop(grace=0)


def fill(address: str) -> str:
    """Tenant `shop` with a shelf holding 7 of the first of PRODUCTS products; returns the shelf's id."""
    with grpc.insecure_channel(address) as channel:
        service_pb2_grpc.TenantServiceStub(channel).CreateTenant(service_pb2.CreateTenantReq(name="shop"))
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        shelf = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")]),
                                  metadata=TENANT).locs[0].uid
        products = stub.AddProducts(inv.AddProductsReq(skus=[f"sku-{i}" for i in range(PRODUCTS)]), metadata=TENANT).uids
        stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf, product=products[0], OnHandChange=7), metadata=TENANT)
    return shelf


def on_hand(address: str, shelf: str) -> int | str:
    """The shelf's stock as the node serves it, or the status of its refusal."""
    with grpc.insecure_channel(address) as channel:
        try:
            items = inventory_pb2_grpc.InventoryServiceStub(channel).GetLocInventory(
                inv.GetLocInventoryReq(location=shelf), metadata=TENANT, timeout=10).items
        except grpc.RpcError as error:
            return error.code().name
    return items[0].OnHand


def migrate(source: str, target: str):
    with grpc.insecure_channel(source) as channel:
        return TenancyServiceStub(channel).Migrate(MigrateReq(tenant="shop", to=target), timeout=60)


def adopt_from(source: str, target: str) -> None:
    """What a source's Migrate asks the target first: start copying (the source is killed right after)."""
    with grpc.insecure_channel(target) as channel:
        TenancyServiceStub(channel).Adopt(AdoptReq(tenant="shop", source=source, epoch=1, attempt="1.killed"))


def test_a_source_killed_mid_copy_leaves_a_target_a_retry_can_migrate_to(node, tmp_path):
    source = ServeProcess(tmp_path / "source").start()
    try:
        shelf = fill(source.address)
        adopt_from(source.address, node.server.address)
        source.kill9()
        assert on_hand(node.server.address, shelf) == "UNAVAILABLE"  # still arriving: never half served
        source.start()
        moved = migrate(source.address, node.server.address)  # the retry starts the copy again
        assert moved.events == PRODUCTS + 2
        assert on_hand(node.server.address, shelf) == 7
        assert on_hand(source.address, shelf) == "FAILED_PRECONDITION"
    finally:
        source.close()


def test_a_target_killed_mid_copy_never_serves_the_half_copy_and_a_retry_completes(node, tmp_path):
    shelf = fill(node.server.address)
    target = ServeProcess(tmp_path / "target").start()
    try:
        adopt_from(node.server.address, target.address)
        target.kill9()
        target.start()
        assert on_hand(target.address, shelf) == "UNAVAILABLE"  # today: served, half copied, beside the source
        assert on_hand(node.server.address, shelf) == 7
        migrate(node.server.address, target.address)
        assert on_hand(target.address, shelf) == 7
        assert on_hand(node.server.address, shelf) == "FAILED_PRECONDITION"
    finally:
        target.close()


# `bf serve`, dying like kill -9 where the source records that the tenant moved:
# the target has taken it over, the source has not written it down yet.
KILLED_AFTER_THE_SWITCH = textwrap.dedent("""
    import os, signal, sys
    import workbench.tenancy.moved as moved
    moved.record_move = lambda folder, address: os.kill(os.getpid(), signal.SIGKILL)
    from workbench.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_a_source_killed_after_the_switch_does_not_serve_the_tenant_again(node, tmp_path):
    source = ServeProcess(tmp_path / "source", python_code=KILLED_AFTER_THE_SWITCH).start()
    try:
        shelf = fill(source.address)
        with pytest.raises(grpc.RpcError):
            migrate(source.address, node.server.address)
        source.process.wait(10)
        assert on_hand(node.server.address, shelf) == 7
        source.launcher = ["-m", "workbench.cli"]
        source.start()
        deadline = time.monotonic() + 20
        while (answer := on_hand(source.address, shelf)) not in ("FAILED_PRECONDITION",) and time.monotonic() < deadline:
            assert answer == "UNAVAILABLE", answer  # sealed: never served while it asks the target
            time.sleep(0.1)
        assert answer == "FAILED_PRECONDITION"  # the target confirmed: moved
        assert on_hand(node.server.address, shelf) == 7
    finally:
        source.close()


def test_a_target_goes_live_only_for_its_attempt_at_the_exact_position_the_source_sealed(node, domain, tmp_path,
                                                                                           socket_dir):
    source = Node(domain, tmp_path / "source", socket_dir, bytes(32))
    try:
        shelf = fill(source.server.address)
        end = source.pool.get("shop").log.last_position
        adopt_from(source.server.address, node.server.address)
        with grpc.insecure_channel(node.server.address) as channel:
            stub = TenancyServiceStub(channel)
            stub.AdoptProgress(AdoptProgressReq(tenant="shop", position=end, timeout_seconds=30, attempt="1.killed"))
            with pytest.raises(grpc.RpcError, match="it copies attempt 1.killed"):  # not the attempt it copies
                stub.AdoptProgress(AdoptProgressReq(tenant="shop", position=end, finish=True, attempt="1.other",
                                                    epoch=1, timeout_seconds=1))
            for position, why in ((end - 1, f"the copy ends at position {end}"),
                                  (end, "has not sealed the tenant")):  # a finish the source never sent
                refused = stub.AdoptProgress(AdoptProgressReq(tenant="shop", position=position, finish=True,
                                                              attempt="1.killed", epoch=1, timeout_seconds=1))
                assert not refused.finished and why in refused.error
                assert on_hand(node.server.address, shelf) == "UNAVAILABLE"
            assert stub.Abandon(AbandonReq(tenant="shop", attempt="1.killed", epoch=1)).live is False
        assert not (node.pool.folder / "shop").joinpath("log.db").exists()
        assert on_hand(source.server.address, shelf) == 7  # never sealed: the source kept it
    finally:
        source.server.stop(grace=0)


def test_a_source_that_fails_to_record_the_move_refuses_the_tenant_and_records_it_later(node, domain, tmp_path,
                                                                                        socket_dir, monkeypatch):
    import workbench.tenancy.resolution as resolution

    source = Node(domain, tmp_path / "source", socket_dir, bytes(32))
    real_record_move = resolution.record_move

    def disk_full(folder, address):
        raise OSError(28, "No space left on device")

    try:
        shelf = fill(source.server.address)
        monkeypatch.setattr(resolution, "record_move", disk_full)
        with pytest.raises(grpc.RpcError, match="No space left"):
            migrate(source.server.address, node.server.address)
        assert on_hand(node.server.address, shelf) == 7
        assert on_hand(source.server.address, shelf) == "UNAVAILABLE"  # sealed: never served from memory
        monkeypatch.setattr(resolution, "record_move", real_record_move)
        deadline = time.monotonic() + 20
        while on_hand(source.server.address, shelf) != "FAILED_PRECONDITION":
            assert time.monotonic() < deadline, "the move was never recorded"
            time.sleep(0.1)
    finally:
        source.server.stop(grace=0)
