"""bf.BulkService.Call on a real server: many calls on one stream, each answered
as its unary call would be, in order per tenant, durable before its answer."""

import random
import threading
import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2
from domain.contracts.bulk_pb2 import BulkAnswers, BulkCall, BulkCalls
from tests.serve_process import ServeProcess
from tests.unit.test_service_server import channel, server  # noqa: F401 (fixtures: a real server, a channel to it)
from workbench.core.codes import Code
from workbench.service.bulk_client import BulkClient
from workbench.service.limits import MAX_TEXT
from workbench.service.rpc import ServiceError
from workbench.service.server import Server

Loc = inv.AddLocationsReq.Loc


def test_each_call_gets_what_its_unary_call_gets_and_bad_ones_do_not_end_the_stream(server, channel):
    requests = [
        inv.AddLocationsReq(locs=[Loc(name="shelf")]),
        inv.AddProductsReq(skus=["cola"]),
        inv.AddProductsReq(skus=["cola"]),  # ALREADY_EXISTS
        inv.AddLocationsReq(locs=[Loc(name="")]),  # the domain's INVALID_ARGUMENT
        inv.AddProductsReq(skus=["x" * (MAX_TEXT + 1)]),  # over the text limit
        inv.GetLocInventoryReq(location="nowhere"),  # NOT_FOUND
        inv.AddProductsReq(skus=["fanta"]),
    ]
    replies = BulkClient(channel).call_all(requests)
    assert [reply.code for reply in replies] == [Code.OK, Code.OK, Code.ALREADY_EXISTS, Code.INVALID_ARGUMENT,
                                                  Code.INVALID_ARGUMENT, Code.NOT_FOUND, Code.OK]
    assert "'skus[0]'" in replies[4].message and replies[5].response is None
    assert replies[0].response.locs[0].name == "shelf" and len(replies[6].response.uids[0]) == 36

    stub = inventory_pb2_grpc.InventoryServiceStub(channel)  # the same calls, unary, on a fresh tenant
    stub_tenant = [("x-tenant", "unary")]
    channel.unary_unary("/bf.TenantService/CreateTenant", service_pb2.CreateTenantReq.SerializeToString,
                        service_pb2.CreateTenantResp.FromString)(service_pb2.CreateTenantReq(name="unary"))
    for request, reply in zip(requests, replies):
        method = getattr(stub, BulkClient(channel).method_of(type(request))[0].rpartition("/")[2])
        try:
            method(request, metadata=stub_tenant)
            assert reply.code == Code.OK
        except grpc.RpcError as error:
            assert (Code(error.code().value[0]), error.details()) == (reply.code, reply.message)
    assert server.tenants.get().log.last_position == 3  # only the accepted writes were logged


def test_raw_bad_calls_are_answered_alone_and_a_bad_frame_ends_the_stream(server, channel):
    call = channel.stream_stream("/bf.BulkService/Call", BulkCalls.SerializeToString, BulkAnswers.FromString)
    frames = [BulkCalls(calls=[
        BulkCall(id=1, method="/protos.InventoryService/AddProducts", request=b"\x0a\xff\xff"),
        BulkCall(id=2, method="/protos.InventoryService/Nope"),
        BulkCall(id=3, method="/protos.InventoryService/AddProducts",
                 request=inv.AddProductsReq(skus=["a"]).SerializeToString(), tenant="../etc"),
        BulkCall(id=4, method="/protos.InventoryService/AddProducts",
                 request=inv.AddProductsReq(skus=["a"]).SerializeToString(), tenant="nobody"),
        BulkCall(id=5, method="/protos.InventoryService/AddProducts",
                 request=inv.AddProductsReq(skus=["a"]).SerializeToString()),
    ])]
    answers = {a.id: a for frame in call(iter(frames)) for a in frame.answers}
    assert sorted(answers) == [1, 2, 3, 4, 5]
    assert answers[1].code == Code.INVALID_ARGUMENT and "malformed AddProductsReq" in answers[1].message
    assert answers[2].code == Code.UNIMPLEMENTED and "Nope" in answers[2].message
    assert answers[3].code == Code.INVALID_ARGUMENT and "bad tenant name" in answers[3].message
    assert answers[4].code == Code.NOT_FOUND and answers[5].code == Code.OK

    raw = channel.stream_stream("/bf.BulkService/Call")
    with pytest.raises(grpc.RpcError) as raised:
        list(raw(iter([b"\x0a\xff\xff"])))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "malformed BulkCalls" in raised.value.details()


def test_calls_name_their_own_tenant_and_authorize_can_refuse_one(server, channel):
    server.tenants.create("north")
    server.tenants.create("south")

    def authorize(context, method, tenant):
        if tenant == "south" and method.endswith("/AddProducts"):
            raise ServiceError(Code.PERMISSION_DENIED, f"{tenant} may not call {method}")
    server.bulk.authorize = authorize
    client = BulkClient(channel, tenant="north")
    replies = client.call_all([inv.AddProductsReq(skus=["n"]), ("south", inv.AddProductsReq(skus=["s"])),
                               ("south", inv.AddLocationsReq(locs=[Loc(name="s-shelf")]))])
    assert [r.code for r in replies] == [Code.OK, Code.PERMISSION_DENIED, Code.OK]
    assert replies[1].message == "south may not call /protos.InventoryService/AddProducts"
    assert [type(e).__name__ for e in server.tenants.get("north").events()] == ["ProductAdded"]
    assert [type(e).__name__ for e in server.tenants.get("south").events()] == ["LocationAdded"]
    assert server.tenants.get().log.last_position == 0


def test_the_stream_goes_through_the_servers_interceptors(domain, tmp_path, socket_dir):
    seen = []

    class Recorder(grpc.aio.ServerInterceptor):
        async def intercept_service(self, continuation, details):
            seen.append(details.method)
            return await continuation(details)

    running = Server(domain, tmp_path / "data", f"unix:{socket_dir / 'i.sock'}", workers=4, interceptors=(Recorder(),))
    running.start()
    try:
        with grpc.insecure_channel(running.address) as channel:
            assert BulkClient(channel).call_all([inv.AddProductsReq(skus=["a"])])[0].code == Code.OK
    finally:
        running.stop(grace=0)
    assert seen == ["/bf.BulkService/Call"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_tenants_calls_run_in_the_order_sent_across_frames(server, channel, seed):
    """Oracle: each call adds one sku of a small pool; exactly the first call of each sku is accepted,
    and the log holds the accepted skus in the order sent, whatever the window and frame sizes."""
    rng = random.Random(seed)
    skus = [f"sku-{rng.randrange(60)}" for _ in range(400)]
    client = BulkClient(channel, window=rng.choice([1, 7, 64, 400]), frame_calls=rng.choice([1, 5, 50]))
    replies = client.call_all([inv.AddProductsReq(skus=[sku]) for sku in skus])
    first_seen = {}
    for index, sku in enumerate(skus):
        first_seen.setdefault(sku, index)
    assert [reply.code == Code.OK for reply in replies] == [first_seen[sku] == i for i, sku in enumerate(skus)]
    logged = [event.sku for event in server.tenants.get().events()]
    assert logged == sorted(first_seen, key=first_seen.get)
    assert [event.uid for event in server.tenants.get().events()] == \
        [replies[i].response.uids[0] for i in sorted(first_seen.values())]


def test_kill_9_mid_stream_keeps_every_answered_call_and_a_prefix_of_the_rest(tmp_path):
    data = tmp_path / "data"
    skus = [f"p{i:05d}" for i in range(20_000)]
    with ServeProcess(data) as server, server.channel() as channel:
        follow = channel.unary_stream("/bf.EventStreamService/Follow", service_pb2.FollowReq.SerializeToString,
                                      service_pb2.LoggedEvent.FromString)
        replies = []
        sending = threading.Thread(target=lambda: replies.extend(
            BulkClient(channel, window=64, frame_calls=16).call_all([inv.AddProductsReq(skus=[s]) for s in skus])))
        sending.start()
        while sum(1 for _ in follow(service_pb2.FollowReq(stop_at_end=True))) < 300:
            time.sleep(0.005)
        server.kill9()
        sending.join(30)
    answered = [i for i, reply in enumerate(replies) if reply.answered]
    assert 300 <= len(answered) < len(skus) and all(replies[i].code == Code.OK for i in answered)
    assert all(reply.code != Code.OK for reply in replies if not reply.answered)
    with ServeProcess(data) as server, server.channel() as channel:
        logged = [event.event for event in channel.unary_stream(
            "/bf.EventStreamService/Follow", service_pb2.FollowReq.SerializeToString,
            service_pb2.LoggedEvent.FromString)(service_pb2.FollowReq(stop_at_end=True))]
        server.stop()
    added = [inv.ProductAdded.FromString(event.value) for event in logged]
    assert [event.sku for event in added] == skus[:len(added)]  # the tenant's order, lost only at its tail
    assert len(added) >= max(answered) + 1
    assert [added[i].uid for i in answered] == [replies[i].response.uids[0] for i in answered]


def test_a_stream_with_more_calls_than_the_server_holds_at_once_reads_on_as_they_finish(server, channel, monkeypatch):
    import workbench.service.bulk_service as bulk_service

    monkeypatch.setattr(bulk_service, "MAX_UNANSWERED", 3)
    replies = BulkClient(channel, window=100, frame_calls=10).call_all(
        [inv.AddProductsReq(skus=[f"s{i}"]) for i in range(100)], timeout=30)
    assert [reply.code for reply in replies] == [Code.OK] * 100
    assert [event.sku for event in server.tenants.get().events()] == [f"s{i}" for i in range(100)]
    assert BulkClient(channel).call_all([]) == []


def test_a_request_too_big_for_a_frame_is_refused_alone(server, channel):
    replies = BulkClient(channel).call_all([inv.AddProductsReq(skus=["y" * 1000] * 5000), inv.AddProductsReq(skus=["a"])])
    assert [reply.code for reply in replies] == [Code.RESOURCE_EXHAUSTED, Code.OK]
    assert "bytes" in replies[0].message and replies[0].answered
