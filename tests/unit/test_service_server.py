"""The gRPC server on a real unix socket, called by real gRPC clients."""

import signal
import threading
import time

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from domain.contracts import bf_pb2, bf_pb2_grpc, inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc
from workbench.core.ids import spec_uid
from workbench.service.codec import pack
from workbench.service.limits import MAX_ITEMS, MAX_TEXT
from tests.serve_process import ServeProcess
from workbench.service.server import ListenError, Server

Loc = inv.AddLocationsReq.Loc


@pytest.fixture
def server(domain, tmp_path, socket_dir):
    running = Server(domain, tmp_path / "data", f"unix:{socket_dir / 's.sock'}", workers=16)
    running.start()
    yield running
    running.stop(grace=0)


@pytest.fixture
def channel(server):
    with grpc.insecure_channel(server.address) as opened:
        yield opened


def code_of(call, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    return raised.value.code(), raised.value.details()


def test_the_inventory_answers_and_rejects_with_the_domains_status_codes(channel):
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    shelf = stub.AddLocations(inv.AddLocationsReq(locs=[Loc(name="shelf")])).locs[0].uid
    cola = stub.AddProducts(inv.AddProductsReq(skus=["cola"])).uids[0]
    assert len(cola) == 36 and cola != spec_uid(1)  # random ids outside spec mode
    assert stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf, product=cola, OnHandChange=5)).OnHand == 5
    reservation = stub.Reserve(inv.ReserveReq(reservation="r1", items=[inv.ReserveReq.Item(sku="cola", quantity=2)]))
    items = stub.GetLocInventory(inv.GetLocInventoryReq(location=shelf)).items
    assert [(i.Product, i.OnHand, i.Available) for i in items] == [(cola, 5, 3)]
    bf_stub = bf_pb2_grpc.BfInventoryServiceStub(channel)
    bf_stub.CancelReservation(bf_pb2.CancelReservationReq(reservation=reservation.reservation))
    assert stub.GetLocInventory(inv.GetLocInventoryReq(location=shelf)).items[0].Available == 5
    assert code_of(bf_stub.CancelReservation, bf_pb2.CancelReservationReq(reservation="nope"))[0] == grpc.StatusCode.NOT_FOUND
    assert code_of(stub.UpdateInventory, inv.UpdateInventoryReq(location="nowhere", product=cola, OnHandChange=1))[0] \
        == grpc.StatusCode.NOT_FOUND
    assert code_of(stub.AddLocations, inv.AddLocationsReq(locs=[Loc(name="")]))[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(stub.AddProducts, inv.AddProductsReq(skus=["cola"]))[0] == grpc.StatusCode.ALREADY_EXISTS


def test_bad_input_gets_a_status_code_and_the_server_keeps_serving(server, channel):
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    code, details = code_of(stub.AddProducts, inv.AddProductsReq(skus=["x" * (MAX_TEXT + 1)]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "'skus[0]'" in details
    code, details = code_of(stub.AddProducts, inv.AddProductsReq(skus=[f"s{i}" for i in range(MAX_ITEMS + 1)]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "'skus'" in details
    code, details = code_of(stub.Reserve, inv.ReserveReq(reservation="r", tags={"k": "v" * (MAX_TEXT + 1)}))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "tags" in details
    assert code_of(stub.AddProducts, inv.AddProductsReq(skus=["y" * 1000] * 5000))[0] == grpc.StatusCode.RESOURCE_EXHAUSTED
    raw = channel.unary_unary("/protos.InventoryService/AddProducts")
    code, details = code_of(raw, b"\x0a\xff\xff")
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "malformed AddProductsReq" in details
    assert code_of(channel.unary_unary("/protos.InventoryService/Nope"), b"")[0] == grpc.StatusCode.UNIMPLEMENTED
    assert code_of(stub.AddProducts, inv.AddProductsReq(skus=["a"]), metadata=[("x-tenant", "../etc")])[0] \
        == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(stub.AddProducts, inv.AddProductsReq(skus=["a"]), metadata=[("x-tenant", "nobody")])[0] \
        == grpc.StatusCode.NOT_FOUND
    assert len(stub.AddProducts(inv.AddProductsReq(skus=["a", "b"])).uids) == 2
    assert server.tenants.get().log.last_position == 2  # only the accepted request was logged


def test_a_crashing_handler_is_internal_with_its_message_and_leaves_nothing_behind(server, channel, monkeypatch):
    def explode(tx, request):
        tx.apply(inv.ProductAdded(uid="half", sku="written"))
        raise ZeroDivisionError("the handler broke")
    monkeypatch.setitem(server.tenants.domain.registry.handlers, inv.AddProductsReq, explode)
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    code, details = code_of(stub.AddProducts, inv.AddProductsReq(skus=["a"]))
    assert code == grpc.StatusCode.INTERNAL and "ZeroDivisionError: the handler broke" in details
    assert server.tenants.get().log.last_position == 0
    stub.AddLocations(inv.AddLocationsReq(locs=[Loc(name="still serving")]))
    assert [loc.name for loc in stub.ListLocations(inv.ListLocationsReq()).locs] == ["still serving"]


def test_tenants_are_created_by_the_tenant_service_and_kept_apart(channel):
    tenants = service_pb2_grpc.TenantServiceStub(channel)
    assert tenants.CreateTenant(service_pb2.CreateTenantReq(name="shop")).created is True
    assert tenants.CreateTenant(service_pb2.CreateTenantReq(name="shop")).created is False
    assert code_of(tenants.CreateTenant, service_pb2.CreateTenantReq(name="Shop!"))[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert list(tenants.ListTenants(service_pb2.ListTenantsReq()).names) == ["default", "shop"]
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    stub.AddProducts(inv.AddProductsReq(skus=["cola"]), metadata=[("x-tenant", "shop")])
    stub.AddProducts(inv.AddProductsReq(skus=["cola"]))  # the default tenant has no cola yet
    assert code_of(stub.AddProducts, inv.AddProductsReq(skus=["cola"]), metadata=[("x-tenant", "shop")])[0] \
        == grpc.StatusCode.ALREADY_EXISTS


def test_health_and_reflection_list_every_service(server, channel):
    health = health_pb2_grpc.HealthStub(channel)
    for name in ("", "protos.InventoryService", "protos.SpecService", "bf.EventStreamService"):
        assert health.Check(health_pb2.HealthCheckRequest(service=name)).status == health_pb2.HealthCheckResponse.SERVING
    reflected = ProtoReflectionDescriptorDatabase(channel)
    services = set(reflected.get_services())
    assert {"protos.InventoryService", "bf.BfInventoryService", "protos.SpecService", "bf.EventStreamService",
            "bf.TenantService", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= services
    # What `grpcurl describe` does: resolve a method's messages, imports included.
    spec = DescriptorPool(reflected).FindServiceByName("protos.SpecService").methods_by_name["Spec"]
    assert spec.input_type.fields_by_name["given"].message_type.full_name == "google.protobuf.Any"


def test_follow_delivers_the_log_from_a_position_then_new_events_live(channel):
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    stub.AddProducts(inv.AddProductsReq(skus=["a", "b"]))
    stream = service_pb2_grpc.EventStreamServiceStub(channel)
    logged = list(stream.Follow(service_pb2.FollowReq(stop_at_end=True)))
    assert [(e.position, e.version) for e in logged] == [(1, 1), (2, 1)]
    assert inv.ProductAdded.FromString(logged[1].event.value).sku == "b"
    assert logged[0].event.type_url == "type.googleapis.com/protos.ProductAdded"

    live = stream.Follow(service_pb2.FollowReq(after=1))
    assert next(live).position == 2
    stub.AddProducts(inv.AddProductsReq(skus=["c"]))
    third = next(live)
    assert (third.position, third.version, inv.ProductAdded.FromString(third.event.value).sku) == (3, 2, "c")
    live.cancel()
    assert code_of(lambda: list(stream.Follow(service_pb2.FollowReq(after=-1))))[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_reads_never_see_half_a_request(channel):
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    batches, batch_size = 30, 4
    seen = []
    done = threading.Event()

    def read():
        while not done.is_set():
            seen.append(len(stub.ListLocations(inv.ListLocationsReq()).locs))
    reader = threading.Thread(target=read)
    reader.start()
    for batch in range(batches):
        stub.AddLocations(inv.AddLocationsReq(locs=[Loc(name=f"{batch}-{i}") for i in range(batch_size)]))
    done.set()
    reader.join()
    assert seen and all(count % batch_size == 0 for count in seen)
    assert len(stub.ListLocations(inv.ListLocationsReq()).locs) == batches * batch_size


def test_concurrent_writers_on_two_tenants_lose_nothing(server, channel):
    service_pb2_grpc.TenantServiceStub(channel).CreateTenant(service_pb2.CreateTenantReq(name="other"))
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    acknowledged = {"default": [], "other": []}

    def write(tenant, writer):
        for i in range(15):
            uid = stub.AddProducts(inv.AddProductsReq(skus=[f"w{writer}-{i}"]), metadata=[("x-tenant", tenant)]).uids[0]
            acknowledged[tenant].append(uid)
    threads = [threading.Thread(target=write, args=(tenant, n)) for tenant in acknowledged for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, uids in acknowledged.items():
        tenant = server.tenants.get(name)
        assert sorted(event.uid for event in tenant.events()) == sorted(uids)
        assert (tenant.log.version, tenant.version) == (60, 60)


def test_a_client_that_gives_up_mid_call_leaves_the_server_consistent(server, channel):
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    big = inv.AddProductsReq(skus=[f"sku-{i}" for i in range(MAX_ITEMS)])
    assert code_of(stub.AddProducts, big, timeout=0.001)[0] == grpc.StatusCode.DEADLINE_EXCEEDED
    stub.AddProducts(inv.AddProductsReq(skus=["after"]))
    tenant = server.tenants.get()
    skus = [event.sku for event in tenant.events()]
    assert skus in (["after"], [*big.skus, "after"])  # all of the abandoned request or none of it
    assert tenant.position == tenant.log.last_position == len(skus)


def test_the_spec_service_runs_a_spec_in_isolation_without_touching_tenants(server, channel):
    spec = inventory_pb2_grpc.SpecServiceStub(channel)
    request = inv.SpecRequest(given=[pack(inv.ProductAdded(uid=spec_uid(1), sku="cola"))],
                              when=pack(inv.AddProductsReq(skus=["tea"])), NextUid=spec_uid(2))
    reply = spec.Spec(request)
    assert reply.status == 0
    assert inv.AddProductsResp.FromString(reply.response.value).uids == [spec_uid(2)]
    assert [inv.ProductAdded.FromString(e.value).sku for e in reply.events] == ["tea"]
    again = spec.Spec(inv.SpecRequest(when=pack(inv.AddProductsReq(skus=["tea", "tea"]))))
    assert (again.status, again.HasField("response"), list(again.events)) == (6, False, [])  # AlreadyExists
    assert server.tenants.get().log.last_position == 0
    assert code_of(spec.Spec, inv.SpecRequest(when=pack(inv.AddProductsReq()), NextUid="seven"))[0] \
        == grpc.StatusCode.INVALID_ARGUMENT
    unknown = inv.SpecRequest(when=pack(inv.AddProductsReq()))
    unknown.when.type_url = "type.googleapis.com/protos.Nothing"
    assert code_of(spec.Spec, unknown)[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert "bf" in spec.About(inv.AboutRequest()).author


def test_a_tenant_runs_one_request_at_a_time_while_other_tenants_go_on(server, channel, monkeypatch):
    add_products = server.tenants.domain.registry.handlers[inv.AddProductsReq]
    inside, release = threading.Event(), threading.Event()

    def slow_when_asked(tx, request):
        if request.skus[0] == "slow":
            inside.set()
            assert release.wait(10)
        return add_products(tx, request)
    monkeypatch.setitem(server.tenants.domain.registry.handlers, inv.AddProductsReq, slow_when_asked)
    service_pb2_grpc.TenantServiceStub(channel).CreateTenant(service_pb2.CreateTenantReq(name="other"))
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    slow = stub.AddProducts.future(inv.AddProductsReq(skus=["slow"]))
    assert inside.wait(10)
    same_tenant = stub.AddProducts.future(inv.AddProductsReq(skus=["queued"]))
    # Another tenant's write completes while the default tenant is busy...
    assert len(stub.AddProducts(inv.AddProductsReq(skus=["x"]), metadata=[("x-tenant", "other")], timeout=10).uids) == 1
    # ...while the default tenant's next request waits for the one in progress.
    assert not same_tenant.done()
    release.set()
    assert len(slow.result(timeout=10).uids) == len(same_tenant.result(timeout=10).uids) == 1
    assert [e.sku for e in server.tenants.get().events()] == ["slow", "queued"]


def test_stopping_the_server_ends_live_streams_at_once_with_unavailable(domain, tmp_path, socket_dir):
    running = Server(domain, tmp_path / "data", f"unix:{socket_dir / 's.sock'}")
    running.start()
    with grpc.insecure_channel(running.address) as channel:
        live = service_pb2_grpc.EventStreamServiceStub(channel).Follow(service_pb2.FollowReq())
        inventory_pb2_grpc.InventoryServiceStub(channel).AddProducts(inv.AddProductsReq(skus=["a"]))
        assert next(live).position == 1  # the stream is open and waiting for more
        started = time.perf_counter()
        running.stop(grace=30)
        assert time.perf_counter() - started < 5
        assert code_of(next, live)[0] == grpc.StatusCode.UNAVAILABLE


def test_bf_serve_stops_cleanly_on_sigint(tmp_path):
    with ServeProcess(tmp_path / "data") as served:
        assert "tenants: default" in served.banner
        code, out = served.stop(signal.SIGINT)
    assert code == 0 and out.strip().splitlines()[-1] == "bf serve: stopped"


def test_a_port_in_use_is_a_clear_error(domain, tmp_path):
    first = Server(domain, tmp_path / "one", "127.0.0.1:0")
    address = first.start()
    try:
        second = Server(domain, tmp_path / "two", address)
        with pytest.raises(ListenError, match=f"cannot listen on {address}"):
            second.start()
    finally:
        first.stop(grace=0)


def test_event_streams_never_take_every_server_thread(domain, tmp_path, socket_dir):
    running = Server(domain, tmp_path / "data", f"unix:{socket_dir / 's.sock'}", workers=4)
    running.start()
    try:
        with grpc.insecure_channel(running.address) as channel:
            stream = service_pb2_grpc.EventStreamServiceStub(channel)
            stub = inventory_pb2_grpc.InventoryServiceStub(channel)
            stub.AddProducts(inv.AddProductsReq(skus=["a"]))
            followers = [stream.Follow(service_pb2.FollowReq()) for _ in range(2)]
            assert [next(f).position for f in followers] == [1, 1]
            code, details = code_of(lambda: next(stream.Follow(service_pb2.FollowReq())))
            assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "2 event streams" in details
            assert len(stub.AddProducts(inv.AddProductsReq(skus=["b"]), timeout=10).uids) == 1
            for follower in followers:
                follower.cancel()
    finally:
        running.stop(grace=0)
