"""A grpc.aio server interceptor that watches every call: its method, tenant,
status code and server time, for the metrics and the operator's log.

It wraps each method's handler once (the wrapped handler is cached per
method) and works for the four kinds of method, whether their behaviour is a
coroutine on the server's loop or a plain function on a worker thread. A
unary call's time goes to `on_call`; a stream's (which may last hours) to
`on_stream`, with the messages it read and wrote. Other interceptors chain
with it (grpc.aio.server(interceptors=[...])).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Callable

import grpc

from workbench.service.rpc import TENANT_METADATA
from workbench.service.tenants import DEFAULT_TENANT

# (method, tenant, code, seconds)
OnCall = Callable[[str, str, str, float], None]
# (method, tenant, code, seconds, messages received, messages sent)
OnStream = Callable[[str, str, str, float, int, int], None]
OnOpen = Callable[[str, int], None]  # (method, +1 when a stream opens, -1 when it ends)


def call_tenant(context: Any) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == TENANT_METADATA:
            return value
    return DEFAULT_TENANT


def call_code(context: Any, error: BaseException | None) -> str:
    """The status the call ended with, as its name ("OK", "NOT_FOUND", ...)."""
    code = context.code()  # a worker thread's context is a _Recording
    if isinstance(code, grpc.StatusCode):
        return code.name
    if isinstance(code, int):  # an aio context gives the number
        return grpc.StatusCode(_BY_NUMBER[code]).name if code in _BY_NUMBER else "UNKNOWN"
    if error is None:
        return "OK"
    return "CANCELLED" if isinstance(error, (GeneratorExit, asyncio.CancelledError)) else "UNKNOWN"


_BY_NUMBER = {status.value[0]: status.value for status in grpc.StatusCode}


class RequestWatch(grpc.aio.ServerInterceptor):
    def __init__(self, on_call: OnCall, on_stream: OnStream, on_open: OnOpen):
        self.on_call = on_call
        self.on_stream = on_stream
        self.on_open = on_open
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(self, continuation, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if handler is None:
            return None
        cached = self._wrapped.get(details.method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(details.method, handler)
        self._wrapped[details.method] = (handler, wrapped)
        return wrapped

    def _wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        name = method.lstrip("/").replace("/", ".")
        codecs = {"request_deserializer": handler.request_deserializer,
                  "response_serializer": handler.response_serializer}
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(self._unary(name, handler.unary_unary), **codecs)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(self._stream(name, handler.unary_stream, False), **codecs)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(self._client_stream(name, handler.stream_unary), **codecs)
        return grpc.stream_stream_rpc_method_handler(self._stream(name, handler.stream_stream, True), **codecs)

    def _unary(self, method: str, behaviour: Callable) -> Callable:
        on_call, clock = self.on_call, time.perf_counter

        if inspect.iscoroutinefunction(behaviour):
            async def watched(request, context):
                started, error = clock(), None
                try:
                    return await behaviour(request, context)
                except BaseException as raised:
                    error = raised
                    raise
                finally:
                    on_call(method, call_tenant(context), call_code(context, error), clock() - started)
        else:
            def watched(request, context):
                started, error, context = clock(), None, _Recording(context)
                try:
                    return behaviour(request, context)
                except BaseException as raised:
                    error = raised
                    raise
                finally:
                    on_call(method, call_tenant(context), call_code(context, error), clock() - started)
        return watched

    def _client_stream(self, method: str, behaviour: Callable) -> Callable:
        """Many requests, one answer: counted as a stream."""
        watch = self

        if inspect.iscoroutinefunction(behaviour):
            async def watched(requests, context):
                counted = _Counted(requests)
                with _StreamTimer(watch, method, context, counted) as timer:
                    response = await behaviour(counted, context)
                    timer.sent = 1
                    return response
        else:
            def watched(requests, context):
                counted, context = _Counted(requests), _Recording(context)
                with _StreamTimer(watch, method, context, counted) as timer:
                    response = behaviour(counted, context)
                    timer.sent = 1
                    return response
        return watched

    def _stream(self, method: str, behaviour: Callable, streamed_in: bool) -> Callable:
        watch = self

        if inspect.isasyncgenfunction(behaviour):
            async def watched(request, context):
                counted = _Counted(request) if streamed_in else None
                with _StreamTimer(watch, method, context, counted) as timer:
                    async for response in behaviour(counted if streamed_in else request, context):
                        timer.sent += 1
                        yield response
        elif inspect.iscoroutinefunction(behaviour):  # writes its answers with context.write: not counted
            async def watched(request, context):
                counted = _Counted(request) if streamed_in else None
                with _StreamTimer(watch, method, context, counted):
                    return await behaviour(counted if streamed_in else request, context)
        else:
            def watched(request, context):
                counted, context = (_Counted(request) if streamed_in else None), _Recording(context)
                with _StreamTimer(watch, method, context, counted) as timer:
                    for response in behaviour(counted if streamed_in else request, context):
                        timer.sent += 1
                        yield response
        return watched


class _Recording:
    """A worker thread's context (which cannot tell its code) that remembers the code set."""

    __slots__ = ("_context", "_code")

    def __init__(self, context: Any):
        self._context = context
        self._code: grpc.StatusCode | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code
        self._context.set_code(code)

    def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        self._code = code
        self._context.abort(code, details)


class _Counted:
    """A stream of requests (sync or async) that counts what it hands out."""

    def __init__(self, requests: Any):
        self._requests = requests
        self.received = 0

    def __iter__(self):
        for request in self._requests:
            self.received += 1
            yield request

    def __aiter__(self):
        return self._async()

    async def _async(self):
        async for request in self._requests:
            self.received += 1
            yield request


class _StreamTimer:
    def __init__(self, watch: RequestWatch, method: str, context: Any, counted: _Counted | None):
        self.watch, self.method, self.context, self.counted = watch, method, context, counted
        self.sent = 0

    def __enter__(self) -> "_StreamTimer":
        self.started = time.perf_counter()
        self.watch.on_open(self.method, 1)
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.watch.on_open(self.method, -1)
        received = self.counted.received if self.counted is not None else 1
        self.watch.on_stream(self.method, call_tenant(self.context), call_code(self.context, error),
                             time.perf_counter() - self.started, received, self.sent)
