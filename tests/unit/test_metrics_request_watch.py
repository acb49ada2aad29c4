"""The request watch on a real grpc.aio server: every kind of method, as a
coroutine or on a worker thread, is counted with its tenant and status code,
and passes its answers and refusals through unchanged."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from workbench.metrics.request_watch import RequestWatch

SERVICE = "test.Echo"


def _handlers() -> dict[str, grpc.RpcMethodHandler]:
    async def unary(request, context):
        if request == b"no":
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "said no")
        return request

    def unary_on_thread(request, context):
        if request == b"no":
            context.abort(grpc.StatusCode.NOT_FOUND, "not here")
        return request

    async def server_stream(request, context):
        for _ in range(3):
            yield request

    async def client_stream(requests, context):
        return b"".join([request async for request in requests])

    def client_stream_on_thread(requests, context):
        return b"".join(requests)

    async def server_stream_by_writes(request, context):
        await context.write(request)
        await context.write(request)

    async def bidi(requests, context):
        async for request in requests:
            yield request
            yield request

    return {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "UnaryOnThread": grpc.unary_unary_rpc_method_handler(unary_on_thread),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "ClientStreamOnThread": grpc.stream_unary_rpc_method_handler(client_stream_on_thread),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Writes": grpc.unary_stream_rpc_method_handler(server_stream_by_writes),
    }


async def until(done, seconds: float = 5.0) -> None:
    """A call's watch records it just after the client has its answer: wait for it."""
    for _ in range(int(seconds / 0.01)):
        if done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the watch did not record the calls")


@pytest.fixture
async def watched():
    calls, streams, opened = [], [], []
    watch = RequestWatch(lambda *call: calls.append(call), lambda *stream: streams.append(stream),
                         lambda method, change: opened.append(change))
    server = grpc.aio.server(ThreadPoolExecutor(4), interceptors=[watch])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, _handlers()),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel, calls, streams, opened
    finally:
        await channel.close()
        await server.stop(0)


async def test_every_kind_of_method_is_counted_with_tenant_and_code(watched):
    channel, calls, streams, opened = watched
    tenant = (("x-tenant", "acme"),)
    assert await channel.unary_unary(f"/{SERVICE}/Unary")(b"hi", metadata=tenant) == b"hi"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await channel.unary_unary(f"/{SERVICE}/Unary")(b"no")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION and refused.value.details() == "said no"
    assert await channel.unary_unary(f"/{SERVICE}/UnaryOnThread")(b"t", metadata=tenant) == b"t"
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await channel.unary_unary(f"/{SERVICE}/UnaryOnThread")(b"no")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    await until(lambda: len(calls) == 4)
    assert sorted((method, tenant_name, code) for method, tenant_name, code, _ in calls) == sorted([
        (f"{SERVICE}.Unary", "acme", "OK"), (f"{SERVICE}.Unary", "default", "FAILED_PRECONDITION"),
        (f"{SERVICE}.UnaryOnThread", "acme", "OK"), (f"{SERVICE}.UnaryOnThread", "default", "NOT_FOUND")])
    assert all(seconds >= 0 for *_, seconds in calls)

    assert [r async for r in channel.unary_stream(f"/{SERVICE}/ServerStream")(b"s", metadata=tenant)] == [b"s"] * 3
    assert await channel.stream_unary(f"/{SERVICE}/ClientStream")(iter([b"a", b"b"]), metadata=tenant) == b"ab"
    assert await channel.stream_unary(f"/{SERVICE}/ClientStreamOnThread")(iter([b"c", b"d", b"e"])) == b"cde"
    assert [r async for r in channel.stream_stream(f"/{SERVICE}/Bidi")(iter([b"x", b"y"]))] == [b"x", b"x", b"y", b"y"]
    assert [r async for r in channel.unary_stream(f"/{SERVICE}/Writes")(b"w")] == [b"w", b"w"]
    await until(lambda: len(streams) == 5)
    assert sorted((m, t, code, received, sent) for m, t, code, _, received, sent in streams) == sorted([
        (f"{SERVICE}.ServerStream", "acme", "OK", 1, 3),
        (f"{SERVICE}.ClientStream", "acme", "OK", 2, 1),
        (f"{SERVICE}.ClientStreamOnThread", "default", "OK", 3, 1),
        (f"{SERVICE}.Bidi", "default", "OK", 2, 4),
        (f"{SERVICE}.Writes", "default", "OK", 1, 0)])  # written with context.write: not seen, not counted
    assert opened.count(1) == opened.count(-1) == 5  # every stream that opened was closed
