"""bf.EventStreamService.Follow: a tenant's logged events from a position, then live.

The stream pages through the log; at its end it waits for the next append
(woken by the append itself, by the client going away, or by the server
closing the tenant) unless the caller asked to stop there.
"""

from __future__ import annotations

from typing import Iterator

import grpc

from domain.contracts.service_pb2 import FollowReq, LoggedEvent
from workbench.core.codes import Code
from workbench.service.codec import EventCodec
from workbench.service.event_log import EventLogClosed
from workbench.service.rpc import ServiceError, add_service, server_stream, tenant_of
from workbench.service.tenants import Tenants

SERVICE = "bf.EventStreamService"
SAFETY_WAKE_SECONDS = 5.0  # a follower re-checks its call at least this often


class EventStream:
    def __init__(self, tenants: Tenants):
        self.tenants = tenants

    def add_to(self, server: grpc.Server) -> str:
        add_service(server, SERVICE, {"Follow": server_stream(f"{SERVICE}.Follow", self.follow, FollowReq)})
        return SERVICE

    def follow(self, request: FollowReq, context: grpc.ServicerContext) -> Iterator[LoggedEvent]:
        if request.after < 0:
            raise ServiceError(Code.INVALID_ARGUMENT, f"'after' must be 0 or more, got {request.after}")
        log = tenant_of(context, self.tenants).log
        end = log.last_position
        context.add_callback(log.wake)
        after = request.after
        try:
            while context.is_active():
                batch = log.read(after)
                for logged in batch:
                    yield LoggedEvent(position=logged.position, version=logged.version,
                                      event=EventCodec.to_any(logged), recorded=logged.recorded)
                    after = logged.position
                if request.stop_at_end and after >= end:
                    return
                if not batch:
                    log.wait_beyond(after, SAFETY_WAKE_SECONDS)
        except EventLogClosed:
            raise ServiceError(Code.UNAVAILABLE, "the tenant was closed: the server is shutting down") from None
