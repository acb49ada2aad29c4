"""bf.BulkService.Call: many calls of the domain's unary methods on one stream.

A unary call costs an HTTP/2 stream, its headers and a status, and in Python
gRPC a task, futures and callbacks on both sides: about ten times the domain's
own work. This stream carries frames of calls (`BulkCalls`) and answers them
in frames (`BulkAnswers`), each call with its own status, as its unary method
would have ended: the same decoding, limits, tenant checks and handler.

What stays true, call by call:
  - durability: a call is answered only after its group's events are fsynced
    (it waits on its tenant's ticket like a unary call);
  - order: one tenant's calls join its queue in the order the stream sent them,
    frame after frame, so they run in that order (different tenants' calls may
    finish in any order; answers carry the call's id);
  - bad input answers that call alone (INVALID_ARGUMENT, UNIMPLEMENTED,
    NOT_FOUND, the domain's rejection, INTERNAL for a broken handler); only a
    frame that does not decode ends the stream (INVALID_ARGUMENT).
A frame's calls for one tenant are queued together, so they commit as one
group (one fsync) when the tenant is idle; the answers of calls that finish
together go back in one frame.

Authorization: the stream itself goes through the server's interceptors like
any method (`/bf.BulkService/Call`); each call's own method and tenant go
through `authorize(context, method, tenant)`, which raises ServiceError to
refuse that call (PERMISSION_DENIED, say). The default lets every call through.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable

import grpc
from google.protobuf.message import DecodeError

from domain.contracts.bulk_pb2 import BulkAnswer, BulkAnswers, BulkCall, BulkCalls
from workbench.core.codes import Code
from workbench.core.observer import observer
from workbench.core.domain import Domain
from workbench.service.inventory_service import domain_services
from workbench.service.limits import check_limits
from workbench.service.forwarding import TenantElsewhere
from workbench.service.rpc import (TENANT_METADATA, ServiceError, add_service, async_bidi_stream, hold_named_tenant,
                                   tenant_name)
from workbench.service.tenant import Tenant
from workbench.service.tenants import Tenants

SERVICE = "bf.BulkService"
MAX_UNANSWERED = 10_000  # calls of one stream in the tenants' queues; the stream reads no more meanwhile
UNKNOWN_METHOD = f"/{SERVICE}/unknown"
_LOG = logging.getLogger("bf.serve")

Authorize = Callable[[grpc.aio.ServicerContext, str, str], None]  # (context, method, tenant); raises ServiceError


def allow_every_call(context: grpc.aio.ServicerContext, method: str, tenant: str) -> None:
    pass


@dataclass(frozen=True)
class _Method:
    request_type: type | None  # None: the method's feature is missing
    why_missing: str
    response_type: type


class BulkService:
    def __init__(self, domain: Domain, tenants: Tenants, authorize: Authorize = allow_every_call):
        self.tenants = tenants
        self.authorize = authorize
        self.text_limits = domain.registry.text_limits
        self.methods = _domain_methods(domain)

    def add_to(self, server: grpc.Server) -> str:
        add_service(server, SERVICE, {"Call": async_bidi_stream(f"{SERVICE}.Call", self.call, BulkCalls)})
        return SERVICE

    async def call(self, frames: AsyncIterator[BulkCalls], context: grpc.aio.ServicerContext) -> AsyncIterator[BulkAnswers]:
        stream = _Stream(self, context, asyncio.get_running_loop())
        reader = asyncio.ensure_future(stream.read(frames))
        try:
            while True:
                answers = await stream.next_answers(reader)
                if answers is None:
                    return
                yield BulkAnswers(answers=answers)
        finally:
            reader.cancel()

    def prepare(self, call: BulkCall, context: grpc.aio.ServicerContext, stream_tenant: str) -> tuple[str, Any]:
        """The call's tenant and decoded request, or ServiceError saying what is wrong with it.
        Authorized first, as a unary call is: a caller learns nothing of what it may not call."""
        tenant = call.tenant or stream_tenant
        self.authorize(context, call.method, tenant)
        method = self.methods.get(call.method)
        if method is None:
            raise ServiceError(Code.UNIMPLEMENTED, f"no domain method {call.method[:200]!r}")
        if method.request_type is None:
            raise ServiceError(Code.UNIMPLEMENTED, method.why_missing)
        try:
            request = method.request_type.FromString(call.request)
        except DecodeError as error:
            raise ServiceError(Code.INVALID_ARGUMENT, f"malformed {method.request_type.__name__}: {error}") from None
        check_limits(request, self.text_limits)
        return tenant, request


class _Stream:
    """One open Call: queues its calls in their tenants, gathers the answers to send."""

    def __init__(self, service: BulkService, context: grpc.aio.ServicerContext, loop: asyncio.AbstractEventLoop):
        self.service = service
        self.context = context
        self.loop = loop
        self.tenant = tenant_name(context)
        self.answers: list[BulkAnswer] = []
        self.unanswered = 0
        self.answered = asyncio.Event()  # set when answers wait to be sent (or the reader ended)
        self.room = asyncio.Event()  # set while fewer than MAX_UNANSWERED calls wait
        self.room.set()
        # tenants another node owns (cluster mode): where their calls go, and the last one forwarded
        self.forwarding: dict[str, tuple[TenantElsewhere, asyncio.Future]] = {}

    async def read(self, frames: AsyncIterator[BulkCalls]) -> None:
        try:
            async for frame in frames:
                self.queue(frame.calls)
                if self.unanswered >= MAX_UNANSWERED:
                    self.room.clear()
                    await self.room.wait()
        finally:
            self.answered.set()  # the writer sees the reader ended

    def queue(self, calls) -> None:
        """Answer the bad calls now; queue the others in their tenants, a tenant's in the frame's order."""
        by_tenant: dict[str, tuple[Tenant, Callable[[], None], list[tuple[int, str]], list[Any]]] = {}
        read_at = time.perf_counter()
        for call in calls:
            name = request = None
            try:
                name, request = self.service.prepare(call, self.context, self.tenant)
                if name in self.forwarding:
                    raise self.forwarding[name][0]  # after the calls forwarded before it
                if name not in by_tenant:
                    by_tenant[name] = (*hold_named_tenant(self.service.tenants, name), [], [])
            except TenantElsewhere as elsewhere:
                if elsewhere.forwarder is None:
                    self.answer(_refusal(call.id, call.method, elsewhere), call.method, name, read_at)
                else:
                    self.forward(call, name, request, elsewhere, read_at)
                continue
            except Exception as error:
                self.answer(_refusal(call.id, call.method, error), call.method, call.tenant or self.tenant, read_at)
                continue
            by_tenant[name][2].append((call.id, call.method))
            by_tenant[name][3].append(request)
        for name, (tenant, release, ids, requests) in by_tenant.items():
            self.unanswered += len(ids)
            tickets = tenant.submit(requests, self.loop)
            waiting = [len(tickets)]
            for (call_id, method), ticket in zip(ids, tickets):
                ticket.future.add_done_callback(self._on_done(call_id, method, name, read_at, ticket, release, waiting))

    def forward(self, call: BulkCall, tenant: str, request: Any, elsewhere: TenantElsewhere, read_at: float) -> None:
        """Send the call to the tenant's owner as a unary call with the stream's credentials, after the calls
        of that tenant this stream forwarded before it (one tenant's calls keep their order)."""
        before = self.forwarding.get(tenant)
        self.unanswered += 1
        sent = asyncio.ensure_future(self._forwarded(before[1] if before else None, call, tenant, request, elsewhere,
                                                     read_at))
        self.forwarding[tenant] = (elsewhere, sent)

        def drained(_: asyncio.Future) -> None:  # the next call finds the owner anew
            if self.forwarding.get(tenant, (None, None))[1] is sent:
                del self.forwarding[tenant]
        sent.add_done_callback(drained)

    async def _forwarded(self, before: asyncio.Future | None, call: BulkCall, tenant: str, request: Any,
                         elsewhere: TenantElsewhere, read_at: float) -> None:
        if before is not None:
            await asyncio.wait([before])
        try:
            response = await elsewhere.forward(call.method, request, self.service.methods[call.method].response_type,
                                               _AsTenant(self.context, tenant))
            answer = BulkAnswer(id=call.id, response=response.SerializeToString())
        except Exception as error:
            answer = _refusal(call.id, call.method, error)
        self.unanswered -= 1
        if self.unanswered < MAX_UNANSWERED:
            self.room.set()
        self.answer(answer, call.method, tenant, read_at)

    def _on_done(self, call_id: int, method: str, tenant: str, read_at: float, ticket, release: Callable[[], None],
                 waiting: list[int]):
        def done(_future: asyncio.Future) -> None:
            self.unanswered -= 1
            waiting[0] -= 1
            if waiting[0] == 0:
                release()
            if self.unanswered < MAX_UNANSWERED:
                self.room.set()
            try:
                outcome = ticket.result()
            except Exception as error:
                self.answer(_refusal(call_id, method, error), method, tenant, read_at)
                return
            if outcome.code != Code.OK:
                answer = BulkAnswer(id=call_id, code=int(outcome.code), message=outcome.message)
            else:
                answer = BulkAnswer(id=call_id, response=outcome.response.SerializeToString())
            self.answer(answer, method, tenant, read_at)
        return done

    def answer(self, answer: BulkAnswer, method: str, tenant: str, read_at: float) -> None:
        self.answers.append(answer)
        self.answered.set()
        # A method the stream does not serve is counted under one name: callers choose these strings.
        known = method if method in self.service.methods else UNKNOWN_METHOD
        observer().call_answered(known.lstrip("/").replace("/", "."), tenant, Code(answer.code).name,
                                 time.perf_counter() - read_at)

    async def next_answers(self, reader: asyncio.Future) -> list[BulkAnswer] | None:
        """The answers ready to send (waiting for some), or None once every call is answered and no more come."""
        while not self.answers:
            if reader.done():
                reader.result()  # a frame that did not decode ends the stream with its status
                if self.unanswered == 0:
                    return None
            self.answered.clear()
            await self.answered.wait()
        answers, self.answers = self.answers, []
        return answers


class _AsTenant:
    """The stream's context as a forwarded call sees it: the stream's metadata, `x-tenant` the call's own."""

    def __init__(self, context: grpc.aio.ServicerContext, tenant: str):
        self._context, self._tenant = context, tenant

    def invocation_metadata(self) -> tuple:
        metadata = self._context.invocation_metadata() or ()
        return (*((k, v) for k, v in metadata if k != TENANT_METADATA), (TENANT_METADATA, self._tenant))

    def time_remaining(self) -> float | None:
        return self._context.time_remaining()


def _refusal(call_id: int, method: str, error: Exception) -> BulkAnswer:
    if isinstance(error, ServiceError):
        return BulkAnswer(id=call_id, code=int(error.code), message=error.message)
    _LOG.exception("%s failed", method)
    return BulkAnswer(id=call_id, code=int(Code.INTERNAL), message=f"{method} failed: {type(error).__name__}: {error}")


def _domain_methods(domain: Domain) -> dict[str, _Method]:
    """Every unary method the server serves through a tenant, by its full path."""
    request_types = {request.DESCRIPTOR.full_name: request for request in domain.registry.requests()}
    message_types = {message.DESCRIPTOR.full_name: message for message in domain.messages.values()}
    methods = {}
    for service in domain_services(domain):
        for method in service.methods:
            request_type = request_types.get(method.input_type.full_name)
            why = "" if request_type else domain.registry.why_missing(message_types[method.input_type.full_name])
            methods[f"/{service.full_name}/{method.name}"] = _Method(
                request_type, why, message_types[method.output_type.full_name])
    return methods
