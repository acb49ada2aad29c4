"""A token revoked while its Follow stream is open (`bf events -f`) gets nothing
more: the stream checks its token again before each event (issue 12's
revocation x the live event stream). Before, it kept streaming the tenant's
events for as long as it stayed open."""

from __future__ import annotations

import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc
from domain.contracts.service_pb2 import FollowReq
from domain.contracts.service_pb2_grpc import EventStreamServiceStub
from tests.auth_node import AuthNode

CAFE = [("x-tenant", "cafe")]


@pytest.fixture
def node(domain, tmp_path, socket_dir):
    running = AuthNode(domain, tmp_path / "data", f"unix:{socket_dir / 'n.sock'}")
    yield running
    running.server.stop(grace=0)


def add_product(node: AuthNode, sku: str) -> None:
    with node.channel(node.operator) as channel:
        inventory_pb2_grpc.InventoryServiceStub(channel).AddProducts(inv.AddProductsReq(skus=[sku]), metadata=CAFE)


def test_a_follow_stream_stops_when_its_token_is_revoked(node):
    add_product(node, "BEFORE")
    grant = next(g for g in node.store.grants() if g.tenant == "cafe")
    with node.channel(node.cafe) as cafe:
        stream = EventStreamServiceStub(cafe).Follow(FollowReq(after=0), metadata=CAFE, timeout=20)
        assert next(stream).position == 1  # served while the token stands
        node.store.revoke(grant.id)
        time.sleep(1.1)  # the node rereads its tokens within a second
        add_product(node, "AFTER")
        with pytest.raises(grpc.RpcError) as ended:
            leaked = next(stream)
            pytest.fail(f"a revoked token still got event {leaked.position}")
        assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_follow_stream_with_a_standing_token_goes_on(node):
    with node.channel(node.cafe) as cafe:
        stream = EventStreamServiceStub(cafe).Follow(FollowReq(after=0), metadata=CAFE, timeout=20)
        for n in range(3):
            add_product(node, f"P{n}")
            assert next(stream).position == n + 1
        stream.cancel()
