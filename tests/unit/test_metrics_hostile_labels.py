"""The metrics of a node with tokens, against callers that choose their own
labels: names of tenants they may not use, names that are no tenant names,
method names no service has (a bulk stream carries any string). None of these
may take one of the bounded tenant labels or add a series (issues 12 x 15 x 16)."""

from __future__ import annotations

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv
from domain.contracts.bulk_pb2 import BulkAnswers, BulkCall, BulkCalls
from workbench.metrics.node_watch import NodeWatch
from workbench.metrics.request_counts import OTHER
from workbench.metrics.scrape import scrape
from workbench.service.auth import node_auth
from workbench.service.bulk_client import METHOD as BULK_METHOD, BulkClient
from workbench.service.client_auth import with_token
from workbench.service.rpc import TENANT_METADATA
from workbench.service.server import Server
from workbench.service.tokens import TokenStore
from workbench.tenancy.node import node_tenants

ADD_PRODUCTS = "/protos.InventoryService/AddProducts"


@pytest.fixture
def watched_node(domain, tmp_path):
    """A node with tokens and metrics, as `bf serve --metrics ADDR` wires them; (address, metrics, shop token)."""
    shop, _ = TokenStore(tmp_path).create(operator=False, tenant="shop")
    watch = NodeWatch("127.0.0.1:0", top_tenants=3)
    auth, _ = node_auth(domain, tmp_path, "127.0.0.1:0", tls=False)
    tenants, _ = node_tenants(domain, tmp_path)
    tenants.create("shop")
    server = Server(domain, tmp_path, "127.0.0.1:0", workers=4, tenants=tenants,
                    interceptors=(watch.interceptor, *auth))
    address = server.start()
    watch.start(server)
    yield address, watch.http.url, shop
    server.stop()
    watch.close()


def test_callers_cannot_take_tenant_labels_or_add_method_series(watched_node):
    address, metrics, shop = watched_node
    channel = with_token(grpc.insecure_channel(address), shop)
    add = channel.unary_unary(ADD_PRODUCTS, inv.AddProductsReq.SerializeToString, inv.AddProductsResp.FromString)
    stranger = with_token(grpc.insecure_channel(address), "bft_not-a-token")
    add_stranger = stranger.unary_unary(ADD_PRODUCTS, inv.AddProductsReq.SerializeToString,
                                        inv.AddProductsResp.FromString)

    def shop_calls(sku: str) -> None:  # the one tenant this token may use, over unary and the bulk stream
        add(inv.AddProductsReq(skus=[sku]), metadata=[(TENANT_METADATA, "shop")], timeout=10)
        assert BulkClient(channel, tenant="shop").call_all([inv.AddProductsReq(skus=[sku + "2"])])[0].response

    shop_calls("A")
    scrape(metrics)  # a scrape gives labels to the busiest tenants so far: shop
    for n in range(4):  # more made-up names than the 3 labels the node gives out
        for call, tenant in ((add, f"victim-{n}"), (add_stranger, f"ghost-{n}"), (add, f"Not.A-Name{n}" * 50)):
            with pytest.raises(grpc.RpcError):
                call(inv.AddProductsReq(skus=["A"]), metadata=[(TENANT_METADATA, tenant)], timeout=10)
    bulk = channel.stream_stream(BULK_METHOD, BulkCalls.SerializeToString, BulkAnswers.FromString)
    made_up = [BulkCall(id=n, method=f"/made.Up/Method{n}", tenant=f"junk-{n}") for n in range(20)]
    answers = [a for frame in bulk(iter([BulkCalls(calls=made_up)]), timeout=10) for a in frame.answers]
    # refused as a unary call to an unknown method would be: the token may not call it
    assert len(answers) == 20 and all(a.code == grpc.StatusCode.PERMISSION_DENIED.value[0] for a in answers)
    shop_calls("B")

    scraped = scrape(metrics)
    tenants = set(scraped.by("bf_requests_total", "tenant"))
    assert tenants <= {"shop", "default", OTHER}, tenants  # default: the stream itself, sent no x-tenant
    assert scraped.value("bf_requests_total", tenant="shop") == 3  # a unary call, a bulk call, and its stream
    assert scraped.value("bf_requests_total", tenant=OTHER, code="PERMISSION_DENIED") == 4 + 20
    assert scraped.value("bf_requests_total", tenant=OTHER, code="INVALID_ARGUMENT") == 4
    assert scraped.value("bf_requests_total", tenant=OTHER, code="UNAUTHENTICATED") == 4
    methods = set(scraped.by("bf_requests_total", "method"))
    assert not any("made.Up" in method for method in methods), methods
    assert scraped.value("bf_requests_total", method="bf.BulkService.unknown", code="PERMISSION_DENIED") == 20
