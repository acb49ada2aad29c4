"""A cluster whose nodes require tokens (issues 12 x 13): a call at any node is
served with the caller's own credentials (forwarded to the owner, never widened),
and the operator commands asked at a node that does not own the tenant follow
it to the owner."""

from __future__ import annotations

import os
import subprocess
import sys

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv
from domain.contracts.service_pb2 import CreateTenantReq, CreateTenantResp
from tests.conftest import ROOT
from workbench.core.codes import Code
from workbench.service.bulk_client import BulkClient
from workbench.service.client_auth import with_token
from workbench.service.rpc import TENANT_METADATA
from workbench.service.tokens import TokenStore

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.leases import Leases  # noqa: E402
from workbench.cluster.link import NatsLink  # noqa: E402
from workbench.cluster.local import LocalCluster  # noqa: E402


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """Two nodes accepting the same operator token and a token for tenant `shop`; (cluster, link, tokens)."""
    local = LocalCluster(tmp_path_factory.mktemp("cluster"), ROOT, nodes=2, lease_seconds=1.5)
    first, second = (TokenStore(node.folder) for node in local.nodes)
    operator, _ = first.create(operator=True)
    shop, _ = first.create(operator=False, tenant="shop")
    second.add(operator, operator=True)
    second.add(shop, operator=False, tenant="shop")
    local.start()
    link = NatsLink(local.nats.urls, name="bf-test")
    yield local, link, {"operator": operator, "shop": shop}
    link.close()
    local.stop()


def _add_products(address: str, token: str, tenant: str, sku: str) -> inv.AddProductsResp:
    channel = with_token(grpc.insecure_channel(address), token)
    add = channel.unary_unary("/protos.InventoryService/AddProducts", inv.AddProductsReq.SerializeToString,
                              inv.AddProductsResp.FromString)
    return add(inv.AddProductsReq(skus=[sku]), metadata=[(TENANT_METADATA, tenant)], timeout=15)


def _create(address: str, token: str, name: str) -> None:
    channel = with_token(grpc.insecure_channel(address), token)
    create = channel.unary_unary("/bf.TenantService/CreateTenant", CreateTenantReq.SerializeToString,
                                 CreateTenantResp.FromString)
    create(CreateTenantReq(name=name), timeout=15)


def _owner_and_other(local: LocalCluster, link: NatsLink, tenant: str) -> tuple[str, str]:
    owner = Leases(link, "probe", "").owner(tenant).address
    other = next(address for address in local.addresses if address != owner)
    return owner, other


def _bf(token: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "BF_TOKEN": token})


def _events_at(address: str, token: str, tenant: str) -> list[str]:
    printed = _bf(token, "events", "--target", address, "--tenant", tenant)
    assert printed.returncode == 0, printed.stderr
    return printed.stdout.splitlines()


def test_a_call_at_any_node_is_served_with_the_callers_own_credentials(secured):
    local, link, tokens = secured
    for name in ("shop", "cafe"):
        _create(local.addresses[0], tokens["operator"], name)
    _add_products(local.addresses[0], tokens["shop"], "shop", "S1")
    _add_products(local.addresses[0], tokens["operator"], "cafe", "C1")
    owner, other = _owner_and_other(local, link, "shop")
    assert _add_products(other, tokens["shop"], "shop", "S2").uids  # forwarded to the owner, token and all
    for address in local.addresses:
        with pytest.raises(grpc.RpcError) as refused:
            _add_products(address, tokens["shop"], "cafe", "X")
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as unknown:
            _add_products(address, "bft_nobody", "shop", "X")
        assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_compact_and_migrate_asked_at_another_node_follow_the_owner(secured):
    local, link, tokens = secured
    _create(local.addresses[0], tokens["operator"], "moving")
    for sku in ("M1", "M2"):
        _add_products(local.addresses[0], tokens["operator"], "moving", sku)
    owner, other = _owner_and_other(local, link, "moving")
    compacted = _bf(tokens["operator"], "compact", "moving", "--server", other)
    assert compacted.returncode == 0, compacted.stderr
    assert "moving: already compact (2 events)" in compacted.stdout

    # asked at a node that does not own it, to move it to that very node
    moved = _bf(tokens["operator"], "migrate", "moving", "--server", other, "--to", other)
    assert moved.returncode == 0, moved.stderr
    assert f"moving now on {other}" in moved.stdout and f"{owner} now refuses it" in moved.stdout
    assert Leases(link, "probe", "").owner("moving").address == other

    refused = _bf("", "compact", "moving", "--server", owner)  # no token: one line, the node that refused
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(f"bf compact: {owner}: UNAUTHENTICATED")


def test_a_bulk_stream_at_any_node_is_forwarded_in_order_with_the_streams_credentials(secured):
    local, link, tokens = secured
    _create(local.addresses[0], tokens["operator"], "bulky")
    bulky = TokenStore(local.nodes[0].folder).create(operator=False, tenant="bulky")[0]
    TokenStore(local.nodes[1].folder).add(bulky, operator=False, tenant="bulky")
    _add_products(local.addresses[0], bulky, "bulky", "first")  # its owner: the first node, unless it was taken
    owner, other = _owner_and_other(local, link, "bulky")
    client = BulkClient(with_token(grpc.insecure_channel(other), bulky), tenant="bulky")
    skus = [f"P{n}" for n in range(20)]
    replies = client.call_all([inv.AddProductsReq(skus=[sku]) for sku in skus] + [("shop", inv.AddProductsReq(skus=["X"]))]
                              + [inv.AddProductsReq(skus=["P3"])], timeout=30)
    assert [reply.code for reply in replies[:20]] == [Code.OK] * 20, replies[0].message
    assert replies[20].code == Code.PERMISSION_DENIED  # the stream's token, not the node's, decides
    assert replies[21].code == Code.ALREADY_EXISTS  # it ran after P3, on the owner
    listed = _events_at(owner, bulky, "bulky")
    assert [line.split('sku:"')[1].split('"')[0] for line in listed] == ["first", *skus]  # in the stream's order
