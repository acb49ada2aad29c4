"""bf.EventStreamService.Follow: a tenant's logged events from a position, then live.

The stream pages through the log; at its end it waits for the next append
(woken by the append itself, by the client going away, or by the server
closing the tenant) unless the caller asked to stop there.
"""

from __future__ import annotations

import threading
from typing import Iterator

import grpc

from domain.contracts.service_pb2 import FollowReq, LoggedEvent
from workbench.core.codes import Code
from workbench.service.codec import EventCodec
from workbench.service.event_log import EventLog, EventLogClosed
from workbench.service.rpc import ServiceError, add_service, server_stream, tenant_of
from workbench.service.tenants import Tenants

SERVICE = "bf.EventStreamService"
SAFETY_WAKE_SECONDS = 5.0  # a follower re-checks its call at least this often


class EventStream:
    def __init__(self, tenants: Tenants, max_followers: int):
        """`max_followers`: open streams at most; each holds a server thread, so the
        server keeps threads for other calls (one more is RESOURCE_EXHAUSTED)."""
        self.tenants = tenants
        self.max_followers = max_followers
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._following: dict[object, EventLog] = {}  # per open call: the log it waits on

    def stop(self) -> None:
        """End every stream now with UNAVAILABLE (the server is shutting down): followers reconnect elsewhere."""
        self._stopping.set()
        with self._lock:
            logs = list(self._following.values())
        for log in logs:
            log.wake()

    def add_to(self, server: grpc.Server) -> str:
        add_service(server, SERVICE, {"Follow": server_stream(f"{SERVICE}.Follow", self.follow, FollowReq)})
        return SERVICE

    def follow(self, request: FollowReq, context: grpc.ServicerContext) -> Iterator[LoggedEvent]:
        if request.after < 0:
            raise ServiceError(Code.INVALID_ARGUMENT, f"'after' must be 0 or more, got {request.after}")
        log = tenant_of(context, self.tenants).log
        end = log.last_position
        call_ended = threading.Event()  # the client went away (or the server ends the call)
        context.add_callback(call_ended.set)
        context.add_callback(log.wake)
        call = object()
        with self._lock:
            if len(self._following) >= self.max_followers:
                raise ServiceError(Code.RESOURCE_EXHAUSTED,
                                   f"{self.max_followers} event streams are open already, the most this server serves")
            self._following[call] = log
        after = request.after
        try:
            while not call_ended.is_set() and not self._stopping.is_set():
                batch = log.read(after)
                for logged in batch:
                    yield LoggedEvent(position=logged.position, version=logged.version,
                                      event=EventCodec.to_any(logged), recorded=logged.recorded)
                    after = logged.position
                if request.stop_at_end and after >= end:
                    return
                if not batch:
                    log.wait_beyond(after, SAFETY_WAKE_SECONDS,
                                    give_up=lambda: self._stopping.is_set() or call_ended.is_set())
        except EventLogClosed:
            if not call_ended.is_set():  # an ended call has no status left to give
                raise ServiceError(Code.UNAVAILABLE, "the tenant was closed: the server is shutting down") from None
        finally:
            with self._lock:
                del self._following[call]
        if self._stopping.is_set() and not call_ended.is_set():
            raise ServiceError(Code.UNAVAILABLE, "the server is shutting down")
