"""A client of bf.BulkService: many requests on one stream, each answered alone.

    channel = grpc.insecure_channel("unix:/tmp/bf.sock")
    client = BulkClient(channel, tenant="shop-1")
    replies = client.call_all([AddProductsReq(skus=["A"]), ReserveReq(...), ...])
    replies[0].code, replies[0].response     # Code.OK and an AddProductsResp, or a refusal

Each request goes to the unary method of its contract that takes it (found
from its protobuf descriptor, so no domain needs loading), optionally to a
tenant of its own (`call_all([(tenant, request), ...])`). At most `window`
requests wait for their answers at any time (as many callers at once); they
go out in frames of up to `frame_calls`. Replies come back in request order.
If the stream breaks, the requests it did not answer have the stream's status
and `answered=False`: their fate is unknown (each may or may not have run),
as for a unary call that broke.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message_factory import GetMessageClass

from domain.contracts.bulk_pb2 import BulkAnswers, BulkCall, BulkCalls
from workbench.core.codes import Code
from workbench.service.limits import MAX_MESSAGE_BYTES

METHOD = "/bf.BulkService/Call"
TENANT_METADATA = "x-tenant"
DEFAULT_WINDOW = 256
DEFAULT_FRAME_CALLS = 128
MAX_FRAME_BYTES = 1 << 20  # well under the server's 4 MiB a message
MAX_REQUEST_BYTES = MAX_MESSAGE_BYTES - 4096  # one request alone in a frame, with room for its envelope


@dataclass(frozen=True)
class BulkReply:
    response: Any | None  # None when refused (or never answered)
    code: Code
    message: str
    seconds: float  # from sending to the answer
    answered: bool = True  # False: the stream broke first, the request's fate is unknown


class BulkClient:
    def __init__(self, channel: grpc.Channel, tenant: str | None = None, window: int = DEFAULT_WINDOW,
                 frame_calls: int = DEFAULT_FRAME_CALLS):
        self._call = channel.stream_stream(METHOD, BulkCalls.SerializeToString, BulkAnswers.FromString)
        self._metadata = ((TENANT_METADATA, tenant),) if tenant else None
        self.window = window
        self.frame_calls = min(frame_calls, window)
        self._methods: dict[type, tuple[str, type]] = {}  # request type -> (method path, response type)
        self._responses: dict[str, type] = {}  # method path -> response type

    def call_all(self, requests: Iterable[Any | tuple[str, Any]], timeout: float | None = None) -> list[BulkReply]:
        """Send every request on one stream; each element is a request, or (tenant, request)."""
        calls = [self._bulk_call(index, item) for index, item in enumerate(requests)]
        # A request too big for any frame is refused here, as the server would refuse its unary call.
        too_big = {call.id for call in calls if len(call.request) > MAX_REQUEST_BYTES}
        sendable = [call for call in calls if call.id not in too_big]
        exchange = _Exchange(sendable, self.window, self.frame_calls)
        if sendable:
            answers = self._call(exchange.frames(), metadata=self._metadata, timeout=timeout)
            try:
                for frame in answers:
                    exchange.received(frame.answers)
            except grpc.RpcError as error:
                exchange.broke(error)
        unanswered = (_UNANSWERED, 0.0)  # never: the server answers every call of a stream that ends well
        return [self._reply(call, *exchange.results.get(call.id, (_TOO_BIG, 0.0) if call.id in too_big else unanswered))
                for call in calls]

    def method_of(self, request_type: type) -> tuple[str, type]:
        """The full path of the unary method taking `request_type`, and its response type."""
        known = self._methods.get(request_type)
        if known is None:
            method = _method_taking(request_type)
            path = f"/{method.containing_service.full_name}/{method.name}"
            known = self._methods[request_type] = (path, GetMessageClass(method.output_type))
            self._responses[path] = known[1]
        return known

    def _bulk_call(self, index: int, item: Any | tuple[str, Any]) -> BulkCall:
        tenant, request = item if isinstance(item, tuple) else ("", item)
        path, _ = self.method_of(type(request))
        return BulkCall(id=index, method=path, request=request.SerializeToString(), tenant=tenant)

    def _reply(self, call: BulkCall, answer, seconds: float) -> BulkReply:
        if isinstance(answer, _Broken):
            return BulkReply(None, answer.code, answer.message, seconds, answered=answer is _TOO_BIG)
        if answer.code:
            return BulkReply(None, Code(answer.code), answer.message, seconds)
        return BulkReply(self._responses[call.method].FromString(answer.response), Code.OK, "", seconds)


def _method_taking(request_type: type) -> MethodDescriptor:
    for service in request_type.DESCRIPTOR.file.services_by_name.values():
        for method in service.methods:
            if method.input_type is request_type.DESCRIPTOR and not method.client_streaming \
                    and not method.server_streaming:
                return method
    raise LookupError(f"no unary method of {request_type.DESCRIPTOR.file.name} takes {request_type.__name__}")


@dataclass(frozen=True)
class _Broken:
    code: Code
    message: str


_TOO_BIG = _Broken(Code.RESOURCE_EXHAUSTED, f"the request is over {MAX_REQUEST_BYTES:,} bytes: it fits in no frame")
_UNANSWERED = _Broken(Code.UNKNOWN, "the stream ended without answering this call")


class _Exchange:
    """One stream's bookkeeping: frames go out while fewer than `window` calls wait; answers come in."""

    def __init__(self, calls: list[BulkCall], window: int, frame_calls: int):
        self.calls = calls
        self.window = window
        self.frame_calls = frame_calls
        self.results: dict[int, tuple[Any, float]] = {}  # call id -> (its answer, seconds)
        self._sent_at: dict[int, float] = {}
        self._waiting = 0
        self._stopped = False
        self._room = threading.Condition()

    def frames(self) -> Iterator[BulkCalls]:
        """Run by gRPC's thread that sends: blocks while the window is full."""
        sent = 0
        while sent < len(self.calls):
            with self._room:
                while self._waiting >= self.window and not self._stopped:
                    self._room.wait()
                if self._stopped:
                    return
                room = self.window - self._waiting
            frame, size, now = [], 0, time.perf_counter()
            while sent < len(self.calls) and len(frame) < min(room, self.frame_calls) \
                    and (not frame or size + len(self.calls[sent].request) < MAX_FRAME_BYTES):
                frame.append(self.calls[sent])
                size += len(self.calls[sent].request)
                self._sent_at[self.calls[sent].id] = now
                sent += 1
            with self._room:
                self._waiting += len(frame)
            yield BulkCalls(calls=frame)

    def received(self, answers) -> None:
        now = time.perf_counter()
        for answer in answers:
            self.results[answer.id] = (answer, now - self._sent_at[answer.id])
        with self._room:
            self._waiting -= len(answers)
            self._room.notify()

    def broke(self, error: grpc.RpcError) -> None:
        with self._room:
            self._stopped = True
            self._room.notify()
        code = Code(error.code().value[0]) if error.code() else Code.UNKNOWN
        broken = _Broken(code, f"the stream ended before the answer: {error.details()}")
        for call in self.calls:
            self.results.setdefault(call.id, (broken, 0.0))
