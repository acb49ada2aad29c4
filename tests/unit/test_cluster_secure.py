"""A cluster served over TLS with tokens on: forwarding dials the owner over TLS
with the CA, and the owner judges the caller's token (real NATS servers, real nodes).

One local cluster (3 NATS servers, 2 bf nodes with `--tls`, each data folder
with its tokens) is shared by the module.
"""

from __future__ import annotations

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc
from domain.contracts.service_pb2 import CreateTenantReq, CreateTenantResp
from tests.conftest import ROOT

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.leases import Leases  # noqa: E402
from workbench.cluster.link import NatsLink  # noqa: E402
from workbench.cluster.local import LocalCluster  # noqa: E402
from workbench.service.rpc import TENANT_METADATA  # noqa: E402
from workbench.service.tokens import TokenStore, new_token  # noqa: E402
from workbench.tenancy.certificates import CA_CERT, channel_credentials, issue  # noqa: E402

OPERATOR, ALPHA, ONLY_AT_SECOND = new_token(), new_token(), new_token()


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secure")
    certs = folder / "certs"
    issue(certs)
    local = LocalCluster(folder / "cluster", ROOT, nodes=2, lease_seconds=1.5, serve_args=("--tls", str(certs)))
    for node in local.nodes:  # every node accepts the operator's and alpha's tokens
        store = TokenStore(node.folder)
        store.add(OPERATOR, operator=True)
        store.add(ALPHA, operator=False, tenant="alpha")
    TokenStore(local.nodes[1].folder).add(ONLY_AT_SECOND, operator=False, tenant="alpha")
    local.start()
    yield local, channel_credentials(certs / CA_CERT)
    local.stop()


def _channel(address: str, credentials) -> grpc.Channel:
    return grpc.secure_channel(address, credentials)


def _metadata(token: str, tenant: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}"), (TENANT_METADATA, tenant)]


def _add(address: str, credentials, token: str, tenant: str, name: str) -> str:
    stub = inventory_pb2_grpc.InventoryServiceStub(_channel(address, credentials))
    reply = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name=name)]),
                              metadata=_metadata(token, tenant), timeout=10)
    return reply.locs[0].uid


def _create(address: str, credentials, name: str) -> None:
    create = _channel(address, credentials).unary_unary(
        "/bf.TenantService/CreateTenant", CreateTenantReq.SerializeToString, CreateTenantResp.FromString)
    assert create(CreateTenantReq(name=name), metadata=[("authorization", f"Bearer {OPERATOR}")], timeout=10).created


def test_a_call_through_a_non_owner_is_forwarded_over_tls_and_judged_by_the_owner(secure):
    cluster, credentials = secure
    first, second = cluster.nodes
    for tenant in ("alpha", "beta"):
        _create(first.address, credentials, tenant)
    _add(first.address, credentials, OPERATOR, "alpha", "taken-here")  # the first node takes alpha's lease
    link = NatsLink(cluster.nats.urls, name="bf-test-secure")
    try:
        assert Leases(link, "probe", "").owner("alpha").address == first.address
    finally:
        link.close()
    # Through the second node: forwarded to the owner, which serves TLS only.
    assert _add(second.address, credentials, ALPHA, "alpha", "via-second")
    with pytest.raises(grpc.RpcError) as refused:  # alpha's token on beta: refused, whichever node
        _add(second.address, credentials, ALPHA, "beta", "not-mine")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # The second node accepts this token, the owner does not: the owner judged the forwarded call.
    with pytest.raises(grpc.RpcError) as unknown_there:
        _add(second.address, credentials, ONLY_AT_SECOND, "alpha", "judged-by-owner")
    assert unknown_there.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ONLY_AT_SECOND not in (unknown_there.value.details() or "")  # a token is never repeated back
