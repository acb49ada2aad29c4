"""Live migration between two running nodes under a write load: every
acknowledged write is on the new node exactly once, the pause is measured."""

from __future__ import annotations

import re
import threading
import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc
from domain.contracts.tenancy_pb2 import AdoptReq, MigrateReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from tests.tenancy_nodes import Node
from workbench.tenancy.certificates import channel_credentials, dial, issue

TENANT = [("x-tenant", "shop")]


@pytest.fixture
def nodes(domain, tmp_path, socket_dir):
    pair = Node(domain, tmp_path / "a", socket_dir, bytes(32)), Node(domain, tmp_path / "b", socket_dir, bytes(range(32)))
    yield pair
    for node in pair:
        node.server.stop(grace=0)


class Writer(threading.Thread):
    """Adds 1 to one stock level over and over, following the tenant when it moves."""

    def __init__(self, address: str, shelf: str, product: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.address, self.shelf, self.product, self.stop = address, shelf, product, stop
        self.acknowledged: list[int] = []
        self.redirects: list[str] = []
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            with grpc.insecure_channel(self.address) as channel:
                stub = inventory_pb2_grpc.InventoryServiceStub(channel)
                while not self.stop.is_set():
                    request = inv.UpdateInventoryReq(location=self.shelf, product=self.product, OnHandChange=1)
                    try:
                        self.acknowledged.append(stub.UpdateInventory(request, metadata=TENANT, timeout=10).OnHand)
                    except grpc.RpcError as error:
                        moved = re.search(r"moved to (.+?): send", error.details() or "")
                        if moved:
                            self.redirects.append(error.details())
                            self.address = moved.group(1)
                            break
                        self.errors.append(f"{error.code().name}: {error.details()}")
                        return


def wait_for_acknowledged(writers: list[Writer], count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while min(len(w.acknowledged) for w in writers) < count:
        assert all(w.is_alive() for w in writers), [w.errors for w in writers]
        assert time.monotonic() < deadline, (
            f"writers stalled: acknowledged {[len(w.acknowledged) for w in writers]}, "
            f"redirects {[w.redirects[-3:] for w in writers]}, errors {[w.errors for w in writers]}")
        writers[0].join(0.01)


def test_a_tenant_moves_under_load_with_no_acknowledged_write_lost_or_doubled(nodes):
    source, target = nodes
    with grpc.insecure_channel(source.server.address) as channel:
        service_pb2_grpc.TenantServiceStub(channel).CreateTenant(service_pb2.CreateTenantReq(name="shop"))
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        shelf = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")]), metadata=TENANT).locs[0].uid
        skus = [f"sku-{i}" for i in range(300)]
        products = stub.AddProducts(inv.AddProductsReq(skus=skus), metadata=TENANT).uids
        stop = threading.Event()
        writers = [Writer(source.server.address, shelf, product, stop) for product in products[:3]]
        for writer in writers:
            writer.start()
        wait_for_acknowledged(writers, 20)
        moved = TenancyServiceStub(channel).Migrate(MigrateReq(tenant="shop", to=target.server.address), timeout=60)
        wait_for_acknowledged(writers, 60)
        stop.set()
        for writer in writers:
            writer.join(10)

    print(f"migrated {moved.events} events ({moved.caught_up_live} while copying), writes held {moved.pause_seconds * 1000:.1f} ms,"
          f" {moved.total_seconds:.2f} s in all; acknowledged {[len(w.acknowledged) for w in writers]}")
    assert moved.pause_seconds < 1.0 and moved.events > 300
    for writer in writers:
        assert writer.errors == []
        assert writer.redirects and target.server.address.split("unix:")[1] in writer.redirects[0]
        assert writer.acknowledged == list(range(1, len(writer.acknowledged) + 1))  # none lost, none twice
    with grpc.insecure_channel(target.server.address) as channel:
        items = inventory_pb2_grpc.InventoryServiceStub(channel).GetLocInventory(
            inv.GetLocInventoryReq(location=shelf), metadata=TENANT).items
    assert {item.Product: item.OnHand for item in items} == {w.product: len(w.acknowledged) for w in writers}
    moved_events = target.pool.get("shop").log.read(0, 100_000)
    assert [e.position for e in moved_events] == list(range(1, len(moved_events) + 1))
    with grpc.insecure_channel(source.server.address) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            inventory_pb2_grpc.InventoryServiceStub(channel).ListLocations(inv.ListLocationsReq(), metadata=TENANT)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"moved to {target.server.address}" in refused.value.details()
    assert "shop" not in source.pool.names() and "shop" in target.pool.names()


def test_bf_compact_and_bf_migrate_report_what_they_did(nodes, capsys):
    from workbench.cli import main

    source, target = nodes
    source.pool.create("shop")
    tenant = source.pool.get("shop")
    shelf = tenant.execute(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")])).response.locs[0].uid
    product = tenant.execute(inv.AddProductsReq(skus=["cola"])).response.uids[0]
    for _ in range(30):
        tenant.execute(inv.UpdateInventoryReq(location=shelf, product=product, OnHandChange=2))
    assert main(["compact", "shop", "--server", source.server.address]) == 0
    assert "shop: 32 -> 3 events" in capsys.readouterr().out
    assert main(["migrate", "shop", "--server", source.server.address, "--to", target.server.address]) == 0
    assert f"shop now on {target.server.address}: 3 events copied" in capsys.readouterr().out
    assert target.pool.get("shop").execute(inv.GetLocInventoryReq(location=shelf)).response.items[0].OnHand == 60
    assert main(["migrate", "shop", "--server", source.server.address, "--to", target.server.address]) == 1
    assert f"moved to {target.server.address}" in capsys.readouterr().err


def test_nodes_serving_tls_migrate_over_tls(domain, tmp_path):
    issue(tmp_path / "certs")
    nodes = [Node(domain, tmp_path / name, tmp_path, bytes([n]) * 32, tmp_path / "certs") for n, name in enumerate("ab")]
    try:
        source, target = nodes
        source.pool.create("shop")
        source.pool.get("shop").execute(inv.AddProductsReq(skus=["cola"]))
        with dial(source.server.address, channel_credentials(tmp_path / "certs" / "ca.pem")) as channel:
            moved = TenancyServiceStub(channel).Migrate(MigrateReq(tenant="shop", to=target.server.address), timeout=30)
        assert moved.events == 1
        assert target.pool.get("shop").events()[0].sku == "cola"
    finally:
        for node in nodes:
            node.server.stop(grace=0)


def test_a_tenant_moves_away_and_back_each_move_a_new_epoch(nodes):
    from workbench.tenancy.handover import read_handover

    source, target = nodes
    source.pool.create("shop")
    source.pool.get("shop").execute(inv.AddProductsReq(skus=["cola"]))
    with grpc.insecure_channel(source.server.address) as channel:
        TenancyServiceStub(channel).Migrate(MigrateReq(tenant="shop", to=target.server.address), timeout=30)
    target.pool.get("shop").execute(inv.AddProductsReq(skus=["tonic"]))
    with grpc.insecure_channel(target.server.address) as channel:
        TenancyServiceStub(channel).Migrate(MigrateReq(tenant="shop", to=source.server.address), timeout=30)
    assert [e.sku for e in source.pool.get("shop").events()] == ["cola", "tonic"]
    assert read_handover(source.pool.folder / "shop").epoch == 2 and "shop" in source.pool.names()
    assert read_handover(target.pool.folder / "shop").epoch == 2 and "shop" not in target.pool.names()
    with grpc.insecure_channel(target.server.address) as channel, pytest.raises(grpc.RpcError) as stale:
        TenancyServiceStub(channel).Adopt(AdoptReq(tenant="shop", source=source.server.address, epoch=1, attempt="1.x"))
    assert stale.value.code() == grpc.StatusCode.ALREADY_EXISTS and "was at epoch 2 here already" in stale.value.details()


def test_a_copy_being_adopted_is_never_closed_for_being_idle(domain, tmp_path):
    from workbench.tenancy.handover import ARRIVING, Handover, write_handover
    from workbench.tenancy.pool import TenantPool

    pool = TenantPool(domain, tmp_path, max_open=1)
    try:
        write_handover(pool.folder / "shop", Handover(ARRIVING, 1, "1.a", "elsewhere"))
        pool.arriving["shop"] = "elsewhere"
        copy = pool.create_arriving("shop")
        for name in ("one", "two"):
            pool.create(name)
            pool.get(name)
        assert "shop" in pool.open_names() and not copy.log.closed
        pool.drop("shop")
        assert copy.log.closed and "shop" not in pool.open_names()
    finally:
        pool.close()
