"""A cluster served over TLS with tokens on: forwarding dials the owner over TLS
with the CA, and the owner judges the caller's token; the cluster's metrics move
(real NATS servers, real nodes).

One local cluster (3 NATS servers, 2 bf nodes with `--tls` and `--metrics`, each
data folder with its tokens) is shared by the module.
"""

from __future__ import annotations

import re
import time
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc
from domain.contracts.service_pb2 import CreateTenantReq, CreateTenantResp
from domain.contracts.tenancy_pb2 import MigrateReq, MigrateResp
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
    local = LocalCluster(folder / "cluster", ROOT, nodes=2, lease_seconds=1.5,
                         serve_args=("--tls", str(certs), "--metrics", "127.0.0.1:0"))
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


def _scrape(node) -> dict[tuple[str, str], float]:
    """The node's metrics: (sample name, its labels as text) -> value."""
    url = re.search(r"bf serve: metrics on (\S+)", node.log_path.read_text()).group(1)
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))] = sample.value
    return samples


def _changes(node, change: str) -> float:
    return _scrape(node).get(("bf_cluster_ownership_changes_total", f"change={change}"), 0.0)


def test_the_cluster_metrics_move(secure):
    """Ownership changes, JetStream append latency and the warm copies' lag, as scraped."""
    cluster, credentials = secure
    first, second = cluster.nodes
    _create(first.address, credentials, "gauged")
    taken_before, appended_before = _changes(first, "taken"), _scrape(first).get(
        ("bf_cluster_append_seconds_count", "outcome=ok"), 0.0)
    for n in range(3):
        _add(first.address, credentials, OPERATOR, "gauged", f"g{n}")
    scraped = _scrape(first)
    assert _changes(first, "taken") == taken_before + 1
    assert scraped["bf_cluster_append_seconds_count", "outcome=ok"] >= appended_before + 3
    assert scraped["bf_cluster_tenants_owned", ""] >= 1
    pulled_before = _scrape(second).get(("bf_cluster_replica_events_total", ""), 0.0)
    deadline = time.monotonic() + 10  # once the second node has its warm copy, it pulls each write within 0.2 s
    while _scrape(second).get(("bf_cluster_replica_events_total", ""), 0.0) == pulled_before:
        assert time.monotonic() < deadline, "the warm copy on the second node never pulled"
        _add(first.address, credentials, OPERATOR, "gauged", f"more-{time.monotonic()}")
        time.sleep(0.3)
    assert _scrape(second)["bf_cluster_replica_lag_seconds_count", ""] >= 1
    assert _scrape(second)["bf_cluster_warm_copies", ""] >= 1
    handed_before, second_taken_before = _changes(first, "handed_over"), _changes(second, "taken")
    migrate = _channel(first.address, credentials).unary_unary(
        "/bf.TenancyService/Migrate", MigrateReq.SerializeToString, MigrateResp.FromString)
    migrate(MigrateReq(tenant="gauged", to=second.address), metadata=[("authorization", f"Bearer {OPERATOR}")],
            timeout=20)
    assert _changes(first, "handed_over") == handed_before + 1
    _add(second.address, credentials, OPERATOR, "gauged", "after")  # the target takes the lease at its next call
    assert _changes(second, "taken") + _changes(second, "reclaimed") >= second_taken_before + 1
