"""How `bf stress` reaches a tenant: directly in this process, or through the
real gRPC API of a `bf serve` child process over a unix socket or TCP.

Each transport sends a phase of independent requests and times every one;
`replies` come back in request order whatever order they completed in.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from domain.contracts.service_pb2 import CreateTenantReq, CreateTenantResp, FollowReq, LoggedEvent
from workbench.config import Project
from workbench.core.codes import Code
from workbench.core.domain import Domain
from workbench.service.bulk_client import BulkClient
from workbench.service.event_loop import new_event_loop
from workbench.service.inventory_service import domain_services
from workbench.service.client_auth import with_token
from workbench.service.limits import MAX_MESSAGE_BYTES
from workbench.service.rpc import TENANT_METADATA
from workbench.service.tenants import Tenants

from workbench.bench.server_process import ServerProcess

TRANSPORTS = ("inproc", "unix", "tcp")
CALLS = ("stream", "unary")  # over gRPC: many calls on one bf.BulkService stream, or a unary call each
# Requests the client keeps in flight within a phase: a business has many
# callers at once, and a tenant commits those that wait together (group commit).
DEFAULT_IN_FLIGHT = 32


@dataclass(frozen=True)
class Reply:
    response: Any | None  # None when refused
    code: Code
    message: str
    seconds: float  # from sending to the answer


def tenant_folder(data: Path, tenant: str) -> Path:
    return data / "tenants" / tenant


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


class InprocTransport:
    """The tenant called directly from `in_flight` threads: the same Tenant code
    the server runs (group commit included), without gRPC: each thread a caller, as unary calls are."""

    name = "inproc unary"

    def __init__(self, domain: Domain, data: Path, tenant_prefix: str, in_flight: int = DEFAULT_IN_FLIGHT):
        self.tenants = Tenants(domain, data)
        self.tenant_name = _first_free(tenant_prefix, self.tenants.create)
        self.tenant = self.tenants.get(self.tenant_name)
        self.folder = tenant_folder(data, self.tenant_name)
        self._threads = ThreadPoolExecutor(in_flight, thread_name_prefix="bf-stress")

    def send(self, requests: list[Any]) -> list[Reply]:
        return list(self._threads.map(self._call, requests))

    def _call(self, request: Any) -> Reply:
        started = time.perf_counter()
        outcome = self.tenant.execute(request)
        return Reply(outcome.response if outcome.code == Code.OK else None, outcome.code, outcome.message,
                     time.perf_counter() - started)

    def logged_events(self) -> int:
        return self.tenant.log.last_position

    def close(self) -> None:
        self._threads.shutdown()
        self.tenants.close()


class InprocStreamTransport(InprocTransport):
    """The tenant called as the bulk stream calls it, without gRPC: a coroutine keeps
    `in_flight` requests queued in the tenant (Tenant.submit), topping up as they finish."""

    name = "inproc stream"

    def __init__(self, domain: Domain, data: Path, tenant_prefix: str, in_flight: int = DEFAULT_IN_FLIGHT):
        super().__init__(domain, data, tenant_prefix, 1)
        self.in_flight = in_flight
        self._loop = new_event_loop()

    def send(self, requests: list[Any]) -> list[Reply]:
        return self._loop.run_until_complete(self._send(requests))

    async def _send(self, requests: list[Any]) -> list[Reply]:
        loop, clock = asyncio.get_running_loop(), time.perf_counter
        replies: list[Reply | None] = [None] * len(requests)
        waiting: dict[asyncio.Future, tuple[int, Any, float]] = {}
        sent = 0
        while sent < len(requests) or waiting:
            batch = requests[sent:sent + self.in_flight - len(waiting)]
            for index, ticket in enumerate(self.tenant.submit(batch, loop), sent):
                waiting[ticket.future] = (index, ticket, clock())
            sent += len(batch)
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                index, ticket, started = waiting.pop(future)
                outcome = ticket.result()
                replies[index] = Reply(outcome.response if outcome.code == Code.OK else None, outcome.code,
                                       outcome.message, clock() - started)
        return replies

    def close(self) -> None:
        super().close()
        self._loop.close()


class GrpcTransport:
    """A `bf serve` child process, called through its gRPC API with `in_flight` calls at a time:
    each a unary call, or all of a phase on one bf.BulkService stream."""

    def __init__(self, project: Project, domain: Domain, data: Path, tenant_prefix: str, name: str,
                 in_flight: int = DEFAULT_IN_FLIGHT, server_options: tuple[str, ...] = (), calls: str = "stream"):
        self.name = f"{name} {calls}"
        self.in_flight = in_flight
        listen = f"unix:{data / 'bf.sock'}" if name == "unix" else "127.0.0.1:0"
        self.server = ServerProcess(project, listen, data, server_options)
        try:
            self.channel = with_token(grpc.insecure_channel(self.server.address, options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]))
            self._methods = methods_by_request(self.channel, domain)
            create = self.channel.unary_unary("/bf.TenantService/CreateTenant", CreateTenantReq.SerializeToString,
                                              CreateTenantResp.FromString)
            self.tenant_name = _first_free(tenant_prefix, lambda name: create(CreateTenantReq(name=name)).created)
            self._metadata = ((TENANT_METADATA, self.tenant_name),)
            self._follow = self.channel.unary_stream("/bf.EventStreamService/Follow", FollowReq.SerializeToString,
                                                     LoggedEvent.FromString)
            self._bulk = BulkClient(self.channel, self.tenant_name, window=in_flight) if calls == "stream" else None
        except BaseException:
            self.server.stop()
            raise
        self.folder = tenant_folder(data, self.tenant_name)
        self._last_position = 0

    def send(self, requests: list[Any]) -> list[Reply]:
        if self._bulk is not None:
            return [Reply(r.response, r.code, r.message, r.seconds) for r in self._bulk.call_all(requests)]
        clock = time.perf_counter
        started = [0.0] * len(requests)
        finished = [0.0] * len(requests)
        in_flight: deque = deque()
        calls = []

        def sent(index: int, call) -> None:
            call.add_done_callback(lambda _: finished.__setitem__(index, clock()))
            in_flight.append(call)
            calls.append(call)

        for index, request in enumerate(requests):
            if len(in_flight) >= self.in_flight:
                _wait(in_flight.popleft())
            started[index] = clock()
            sent(index, self._methods[type(request)].future(request, metadata=self._metadata))
        for call in in_flight:
            _wait(call)
        return [_reply(call, finished[i] - started[i]) for i, call in enumerate(calls)]

    def logged_events(self) -> int:
        """The last position of the tenant's log, read through the event stream."""
        for logged in self._follow(FollowReq(after=self._last_position, stop_at_end=True), metadata=self._metadata):
            self._last_position = logged.position
        return self._last_position

    def close(self) -> None:
        self.channel.close()
        self.server.stop()


def open_transport(name: str, project: Project, domain: Domain, data: Path, tenant_prefix: str,
                   in_flight: int = DEFAULT_IN_FLIGHT, server_options: tuple[str, ...] = (), calls: str = "stream"):
    """`server_options`: more `bf serve` options (such as `--metrics ADDR`) for the gRPC transports."""
    if name == "inproc":
        kind = InprocStreamTransport if calls == "stream" else InprocTransport
        return kind(domain, data, tenant_prefix, in_flight)
    if name in ("unix", "tcp"):
        return GrpcTransport(project, domain, data, tenant_prefix, name, in_flight, server_options, calls)
    raise ValueError(f"unknown transport {name!r}; use one of {', '.join(TRANSPORTS)}")


def methods_by_request(channel: grpc.Channel, domain: Domain) -> dict[type, grpc.UnaryUnaryMultiCallable]:
    by_full_name = {message.DESCRIPTOR.full_name: message for message in domain.messages.values()}
    methods = {}
    for service in domain_services(domain):
        for method in service.methods:
            request_type = by_full_name[method.input_type.full_name]
            response_type = by_full_name[method.output_type.full_name]
            methods[request_type] = channel.unary_unary(
                f"/{service.full_name}/{method.name}", request_type.SerializeToString, response_type.FromString)
    return methods


def _wait(call) -> None:
    try:
        call.result()
    except grpc.RpcError:
        pass  # a refusal: `_reply` reads its status


def _reply(call, seconds: float) -> Reply:
    code = call.code()
    if code == grpc.StatusCode.OK:
        return Reply(call.result(), Code.OK, "", seconds)
    return Reply(None, Code(code.value[0]), call.details() or "", seconds)


def _first_free(prefix: str, create) -> str:
    """`prefix-1`, `prefix-2`, ...: the first name `create(name)` says it created."""
    number = 1
    while not create(f"{prefix}-{number}"):
        number += 1
    return f"{prefix}-{number}"
