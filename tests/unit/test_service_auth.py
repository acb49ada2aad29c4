"""Authentication and authorization (issue 12, finding 2), on real servers over real sockets:
with tokens, an unauthenticated caller gets UNAUTHENTICATED from every method the server
registers, and a tenant token acts on its own tenant only."""

from __future__ import annotations

import itertools
import threading
import time

import grpc
import pytest
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2  # noqa: F401 - puts grpc.health.v1 in the descriptor pool
from grpc_reflection.v1alpha import reflection_pb2  # noqa: F401 - the same for reflection

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc
from domain.contracts.tenancy_pb2 import AdoptProgressReq, AdoptReq, CompactReq, MigrateReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from tests.auth_node import AuthNode
from workbench.cli import main
from workbench.core.codes import Code
from workbench.service.bulk_client import BulkClient
from workbench.service.auth import OPEN_FLAG, AuthError, Authorizer, is_local, node_auth
from workbench.service.client_auth import with_token
from workbench.service.server import Server
from workbench.service.tokens import TokenStore

SHOP = [("x-tenant", "shop")]
HEALTH, REFLECTION = "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"
NOT_A_TOKEN = "bft_" + "A" * 43


@pytest.fixture
def node(domain, tmp_path, socket_dir):
    running = AuthNode(domain, tmp_path / "data", f"unix:{socket_dir / 'n.sock'}")
    yield running
    running.server.stop(grace=0)


def refusal(call, *args, **kwargs) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as raised:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):  # a stream: its status comes with its end
            list(result)
    return raised.value.code(), raised.value.details()


def every_method(server: Server) -> list:
    """Every method of every service the server registered, health and reflection included."""
    pool = descriptor_pool.Default()
    return [method for name in [*server.services, HEALTH, REFLECTION]
            for method in pool.FindServiceByName(name).methods]


def raw_call(channel: grpc.Channel, method, metadata: list[tuple[str, str]], timeout: float = 10):
    """Call `method` with an empty request (its kind decides the shape); returns its status code."""
    path = f"/{method.containing_service.full_name}/{method.name}"
    kind = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
            (True, False): channel.stream_unary, (True, True): channel.stream_stream}[
        (method.client_streaming, method.server_streaming)]
    call = kind(path, request_serializer=None, response_deserializer=None)
    request = iter([b""]) if method.client_streaming else b""
    try:
        result = call(request, metadata=metadata, timeout=timeout)
        if method.server_streaming:
            list(result)
    except grpc.RpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


def test_without_a_token_every_registered_method_but_health_is_unauthenticated(node):
    methods = every_method(node.server)
    names = {f"{m.containing_service.name}.{m.name}" for m in methods}
    assert {"TenancyService.Compact", "TenancyService.Migrate", "TenancyService.Adopt", "TenantService.ListTenants",
            "EventStreamService.Follow", "SpecService.Spec", "InventoryService.Reserve"} <= names
    with grpc.insecure_channel(node.address) as channel:
        for method in methods:
            if method.containing_service.full_name == HEALTH:  # public: Watch answers, then streams on
                assert raw_call(channel, method, [], timeout=0.5)[0] != grpc.StatusCode.UNAUTHENTICATED
                continue
            for metadata in ([], [("x-tenant", "shop")], [("authorization", f"Bearer {NOT_A_TOKEN}")],
                             [("authorization", node.shop)], [("authorization", f"Basic {node.operator}")]):
                code, details = raw_call(channel, method, metadata)
                assert code == grpc.StatusCode.UNAUTHENTICATED, (method.full_name, metadata, code, details)
                for secret in (node.shop, node.operator, NOT_A_TOKEN):
                    assert secret not in details


def test_a_tenant_token_acts_on_its_own_tenant_and_nothing_else(node):
    with node.channel(node.shop) as shop:
        stub = inventory_pb2_grpc.InventoryServiceStub(shop)
        assert stub.AddProducts(inv.AddProductsReq(skus=["mug"]), metadata=[("x-tenant", "shop")]).uids
        follow = service_pb2_grpc.EventStreamServiceStub(shop).Follow
        assert len(list(follow(service_pb2.FollowReq(stop_at_end=True), metadata=[("x-tenant", "shop")]))) == 1
        denied = grpc.StatusCode.PERMISSION_DENIED
        assert refusal(stub.ListLocations, inv.ListLocationsReq(), metadata=[("x-tenant", "cafe")])[0] == denied
        assert refusal(stub.ListLocations, inv.ListLocationsReq())[0] == denied  # no x-tenant: `default`
        assert refusal(lambda: list(follow(service_pb2.FollowReq(stop_at_end=True),
                                           metadata=[("x-tenant", "cafe")])))[0] == denied
        tenants = service_pb2_grpc.TenantServiceStub(shop)
        tenancy = TenancyServiceStub(shop)
        for call, request in [(tenants.ListTenants, service_pb2.ListTenantsReq()),
                              (tenants.CreateTenant, service_pb2.CreateTenantReq(name="mine")),
                              (tenancy.Compact, CompactReq(tenant="shop")),
                              (tenancy.Compact, CompactReq(tenant="cafe")),
                              (tenancy.Migrate, MigrateReq(tenant="cafe", to="unix:/tmp/elsewhere.sock")),
                              (tenancy.Adopt, AdoptReq(tenant="cafe", source="unix:/tmp/elsewhere.sock")),
                              (tenancy.AdoptProgress, AdoptProgressReq(tenant="cafe"))]:
            code, details = refusal(call, request, metadata=[("x-tenant", "shop")])
            assert code == denied and "needs an operator token" in details and node.shop not in details
        code, details = refusal(stub.ListLocations, inv.ListLocationsReq(), metadata=[("x-tenant", "c" * 10_000)])
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        code, details = refusal(stub.ListLocations, inv.ListLocationsReq(), metadata=[("x-tenant", "cafe"), *SHOP])
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "given 2 times" in details
    assert node.tenants.names() == ["cafe", "default", "shop"]
    with node.channel(node.operator) as operator:
        assert list(service_pb2_grpc.TenantServiceStub(operator).ListTenants(service_pb2.ListTenantsReq()).names) == \
            ["cafe", "default", "shop"]
        assert inventory_pb2_grpc.InventoryServiceStub(operator).ListLocations(
            inv.ListLocationsReq(), metadata=[("x-tenant", "cafe")]) is not None


def test_each_call_on_a_bulk_stream_is_checked_alone_against_the_streams_token(node):
    with node.channel(node.shop) as shop:
        replies = BulkClient(shop, tenant="shop").call_all([
            inv.AddProductsReq(skus=["mug"]), ("cafe", inv.AddProductsReq(skus=["tea"])),
            ("default", inv.ListLocationsReq()), ("shop", inv.ListLocationsReq())])
    assert [reply.code for reply in replies] == [Code.OK, Code.PERMISSION_DENIED, Code.PERMISSION_DENIED, Code.OK]
    assert "may act on tenant 'shop' only" in replies[1].message and node.shop not in replies[1].message
    assert [type(e).__name__ for e in node.tenants.get("shop").events()] == ["ProductAdded"]
    assert list(node.tenants.get("cafe").events()) == []
    with node.channel() as anonymous:
        [reply] = BulkClient(anonymous, tenant="shop").call_all([inv.AddProductsReq(skus=["x"])])
    assert reply.code == Code.UNAUTHENTICATED and not reply.answered


def test_a_token_made_while_the_node_runs_works_at_once_and_one_revoked_stops_within_a_second(node):
    grant = next(g for g in node.store.grants() if g.tenant == "cafe")
    with node.channel(node.cafe) as cafe:
        inventory_pb2_grpc.InventoryServiceStub(cafe).ListLocations(inv.ListLocationsReq(), metadata=[("x-tenant", "cafe")])
    newcomer, _ = node.store.create(operator=False, tenant="shop")
    with node.channel(newcomer) as shop:
        inventory_pb2_grpc.InventoryServiceStub(shop).ListLocations(inv.ListLocationsReq(), metadata=[("x-tenant", "shop")])
    node.store.revoke(grant.id)
    time.sleep(1.1)
    with node.channel(node.cafe) as cafe:
        code, _ = refusal(inventory_pb2_grpc.InventoryServiceStub(cafe).ListLocations, inv.ListLocationsReq(),
                          metadata=[("x-tenant", "cafe")])
        assert code == grpc.StatusCode.UNAUTHENTICATED


def test_the_role_table_closes_methods_it_does_not_name_to_tenants(node):
    authorizer = Authorizer(node.store, ["protos.InventoryService"])
    shop = [("authorization", f"Bearer {node.shop}"), ("x-tenant", "shop")]
    assert authorizer.refusal("/protos.InventoryService/Reserve", shop) is None
    assert authorizer.refusal("/grpc.health.v1.Health/Check", []) is None
    for later in ("/bf.BulkService/Run", "/bf.ClusterService/Join", "/bf.MetricsService/Scrape", "/protos.SpecService/Spec"):
        assert authorizer.refusal(later, shop)[0] == grpc.StatusCode.PERMISSION_DENIED
        assert authorizer.refusal(later, [("authorization", f"Bearer {node.operator}")]) is None


def test_development_mode_is_local_only_and_says_so(domain, tmp_path, capsys):
    assert is_local("unix:/tmp/x.sock") and is_local("127.0.0.1:0") and is_local("[::1]:5") and is_local("localhost:1")
    assert not is_local("0.0.0.0:50051") and not is_local("[::]:1") and not is_local("10.0.0.2:1")
    interceptors, line = node_auth(domain, tmp_path, "127.0.0.1:0", tls=False)
    assert interceptors == [] and "DEVELOPMENT MODE" in line
    interceptors, line = node_auth(domain, tmp_path, "0.0.0.0:0", tls=False, open_without_auth=True)
    assert interceptors == [] and OPEN_FLAG in line
    with pytest.raises(AuthError):
        node_auth(domain, tmp_path, "0.0.0.0:0", tls=False)
    data = tmp_path / "never"
    assert main(["serve", "--listen", "0.0.0.0:0", "--data", str(data)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and OPEN_FLAG in error and "bf tokens create --operator" in error
    assert not data.exists()


def test_tokens_are_kept_hashed_privately_and_listed_without_secrets(node, capsys):
    text = node.store.path.read_text()
    for token in (node.operator, node.shop, node.cafe):
        assert token not in text
    assert node.store.path.stat().st_mode & 0o777 == 0o600
    assert main(["tokens", "list", "--data", str(node.store.path.parent.parent)]) == 0
    listed = capsys.readouterr().out
    assert listed.count("\n") == 3 and "operator" in listed and "cafe" in listed
    for grant in node.store.grants():
        assert grant.sha256 not in listed


METHODS = ["/protos.InventoryService/Reserve", "/bf.EventStreamService/Follow", "/bf.TenantService/ListTenants",
           "/bf.TenancyService/Migrate", "/bf.NewService/Any", "/grpc.health.v1.Health/Check",
           "/grpc.reflection.v1alpha.ServerReflection/X"]
CALLERS = ["none", "operator", "shop", "cafe", "garbage", "basic"]
X_TENANTS = [[], *([t] for t in ("shop", "cafe", "default", "Bad Name")),
             *([a, b] for a in ("shop", "cafe", "default", "Bad Name") for b in ("shop", "cafe", "default", "Bad Name"))]


def test_every_decision_matches_the_rules_written_out(tmp_path):
    """The interceptor's verdict on every combination of method, caller and x-tenant values,
    against an oracle that spells the rules out one by one."""
    store = TokenStore(tmp_path)
    tokens = {"operator": store.create(operator=True)[0], "shop": store.create(operator=False, tenant="shop")[0],
              "cafe": store.create(operator=False, tenant="cafe")[0]}
    headers = {"none": None, "garbage": "Bearer bft_nothing_of_the_kind_nothing_of_the_kind",
               "basic": f"Basic {tokens['shop']}", **{who: f"Bearer {token}" for who, token in tokens.items()}}
    authorizer = Authorizer(store, ["protos.InventoryService"])
    checked = 0
    for method, who, tenants in itertools.product(METHODS, CALLERS, X_TENANTS):
        metadata = ([("authorization", headers[who])] if headers[who] else []) + [("x-tenant", t) for t in tenants]
        verdict = authorizer.refusal(method, metadata)
        expected = _oracle(method.split("/")[1], who, tenants)
        assert (verdict[0] if verdict else None) == expected, (method, who, tenants, verdict)
        assert not any(token in (verdict[1] if verdict else "") for token in tokens.values())
        checked += 1
    assert checked == len(METHODS) * len(CALLERS) * 21


def _oracle(service: str, who: str, tenants: list[str]) -> grpc.StatusCode | None:
    if service == "grpc.health.v1.Health":
        return None
    if who in ("none", "garbage", "basic"):
        return grpc.StatusCode.UNAUTHENTICATED
    if len(tenants) > 1:
        return grpc.StatusCode.INVALID_ARGUMENT
    if who == "operator" or "reflection" in service:
        return None
    if service not in ("protos.InventoryService", "bf.EventStreamService"):
        return grpc.StatusCode.PERMISSION_DENIED
    if tenants == ["Bad Name"]:
        return grpc.StatusCode.INVALID_ARGUMENT
    return None if (tenants or ["default"])[0] == who else grpc.StatusCode.PERMISSION_DENIED


def test_a_server_made_without_saying_how_requires_the_tokens_of_its_data_folder(domain, tmp_path, socket_dir):
    token, _ = TokenStore(tmp_path / "data").create(operator=True)
    server = Server(domain, tmp_path / "data", f"unix:{socket_dir / 'plain.sock'}", workers=2)
    server.start()
    try:
        with grpc.insecure_channel(server.address) as channel:
            code, _ = refusal(service_pb2_grpc.TenantServiceStub(channel).ListTenants, service_pb2.ListTenantsReq())
            assert code == grpc.StatusCode.UNAUTHENTICATED
        with with_token(grpc.insecure_channel(server.address), token) as channel:
            assert "default" in service_pb2_grpc.TenantServiceStub(channel).ListTenants(service_pb2.ListTenantsReq()).names
    finally:
        server.stop(grace=0)
    with pytest.raises(AuthError):
        Server(domain, tmp_path / "open", "0.0.0.0:0")
    assert not (tmp_path / "open").exists()


def test_a_refused_tokens_command_leaves_no_tokens_file_behind(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BF_TOKEN", raising=False)
    monkeypatch.delenv("BF_TOKEN_FILE", raising=False)
    for argv in (["tokens", "revoke", "nope"], ["tokens", "create", "Bad Name"], ["tokens", "add", "--operator"]):
        assert main([*argv, "--data", str(tmp_path / "data")]) == 2
        assert capsys.readouterr().err.count("\n") == 1
    assert not TokenStore(tmp_path / "data").exists()  # a node there still starts in development mode


def test_tokens_made_at_the_same_time_are_all_kept(tmp_path):
    store = TokenStore(tmp_path)
    made: list[str] = []

    def make() -> None:
        for _ in range(5):
            made.append(TokenStore(tmp_path).create(operator=False, tenant="shop")[0])
    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.grants()) == 40
    assert all(store.lookup(token) is not None for token in made)
