"""Scripts through the real gRPC server: a runaway script fails its own request, fast,
while the server and the other tenants keep serving."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, scripts_pb2, scripts_pb2_grpc, service_pb2, \
    service_pb2_grpc
from workbench.service.server import Server

RUNAWAYS = {
    "endless loop": "while true do end",
    "memory bomb": "local s = 'x' while true do s = s .. s end",
    "deep recursion": "local function f() return 1 + f() end return f()",
}


@pytest.fixture
def channel(domain, tmp_path, socket_dir):
    server = Server(domain, tmp_path / "data", f"unix:{socket_dir / 's.sock'}", workers=8)
    server.start()
    try:
        with grpc.insecure_channel(server.address) as opened:
            yield opened
    finally:
        server.stop(grace=0)


def stock_a_shelf(channel, tenant, on_hand: int = 1000):
    metadata = [("x-tenant", tenant)]
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    shelf = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")]), metadata=metadata)
    mug = stub.AddProducts(inv.AddProductsReq(skus=["mug"]), metadata=metadata).uids[0]
    stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf.locs[0].uid, product=mug, OnHandChange=on_hand),
                         metadata=metadata)
    return stub


def reserve(stub, tenant, code):
    request = inv.ReserveReq(reservation=code, items=[inv.ReserveReq.Item(sku="mug", quantity=1)])
    return stub.Reserve(request, metadata=[("x-tenant", tenant)], timeout=10)


@pytest.mark.parametrize("runaway", sorted(RUNAWAYS))
def test_a_runaway_script_fails_its_request_within_the_bound_and_others_keep_going(channel, runaway):
    service_pb2_grpc.TenantServiceStub(channel).CreateTenant(service_pb2.CreateTenantReq(name="calm"))
    stub = stock_a_shelf(channel, "default")
    stock_a_shelf(channel, "calm")
    scripts = scripts_pb2_grpc.BfCustomisationServiceStub(channel)
    scripts.InstallScript(scripts_pb2.InstallScriptReq(hook="reserve", source=RUNAWAYS[runaway]))

    calm_reservations = []
    stop = threading.Event()

    def reserve_calmly():
        while not stop.is_set():
            calm_reservations.append(reserve(stub, "calm", f"calm-{len(calm_reservations)}"))
    other_tenant = threading.Thread(target=reserve_calmly)
    other_tenant.start()
    try:
        for attempt in range(3):
            started = time.perf_counter()
            with pytest.raises(grpc.RpcError) as raised:
                reserve(stub, "default", f"r{attempt}")
            assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, raised.value.details()
            assert raised.value.details().startswith("reserve script")
            assert time.perf_counter() - started < 1.0
    finally:
        stop.set()
        other_tenant.join()
    assert calm_reservations, "the other tenant was starved"
    # The third overrun disabled the script (specs/scripts/overrun.spec): the hook runs none now.
    assert raised.value.details().endswith("is disabled until a new version is installed")
    assert reserve(stub, "default", "after").reservation


def test_reports_are_served(channel):
    stub = stock_a_shelf(channel, "default")
    shelf = stub.ListLocations(inv.ListLocationsReq()).locs[0].uid
    reports = scripts_pb2_grpc.BfCustomisationServiceStub(channel)
    reports.DefineReport(scripts_pb2.DefineReportReq(name="all", locations=[""], descendants=True))
    reserve(stub, "default", "r1")
    lines = reports.GetReport(scripts_pb2.GetReportReq(name="all")).lines
    assert [(line.location == shelf, line.on_hand, line.reserved, line.available) for line in lines] == \
        [(False, 1000, 1, 999), (True, 1000, 0, 999)]  # held at the root, not on the shelf


def test_a_script_longer_than_the_usual_text_bound_installs_over_grpc(channel):
    from workbench.service.limits import MAX_TEXT
    scripts = scripts_pb2_grpc.BfCustomisationServiceStub(channel)
    long_source = "-- " + "x" * (4 * MAX_TEXT) + "\nreturn nil"
    assert scripts.InstallScript(scripts_pb2.InstallScriptReq(hook="reserve", source=long_source)).version == 1
    with pytest.raises(grpc.RpcError) as refused:
        scripts.InstallScript(scripts_pb2.InstallScriptReq(hook="reserve", source="-- " + "x" * (64 * 1024)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 65536" in refused.value.details()
