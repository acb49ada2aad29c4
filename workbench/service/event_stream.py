"""bf.EventStreamService.Follow: a tenant's logged events from a position, then live.

The stream pages through the log; at its end it waits for the next append
(woken by the append itself, by the client going away, or by the server
closing the tenant) unless the caller asked to stop there. It is a coroutine
on the server's loop; reading a page and waiting for an append take a thread
of the stream's own pool, so a follower never blocks the loop.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import AsyncIterator

import grpc

from domain.contracts.service_pb2 import FollowReq, LoggedEvent
from workbench.core.codes import Code
from workbench.service.codec import EventCodec
from workbench.service.event_log import EventLog, EventLogClosed
from workbench.service.rpc import ServiceError, add_service, async_server_stream, hold_tenant_on_loop
from workbench.service.tenants import Tenants

SERVICE = "bf.EventStreamService"
SAFETY_WAKE_SECONDS = 5.0  # a follower re-checks its call at least this often


class EventStream:
    def __init__(self, tenants: Tenants, max_followers: int):
        """`max_followers`: open streams at most; each waits for appends in a thread
        of its own (one more is RESOURCE_EXHAUSTED)."""
        self.tenants = tenants
        self.max_followers = max_followers
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._following: dict[object, EventLog] = {}  # per open call: the log it waits on
        self._waiters = ThreadPoolExecutor(max_followers, thread_name_prefix="bf-follow")

    def open_count(self) -> int:
        """Streams open now."""
        return len(self._following)

    def stop(self) -> None:
        """End every stream now with UNAVAILABLE (the server is shutting down): followers reconnect elsewhere."""
        self._stopping.set()
        with self._lock:
            logs = list(self._following.values())
        for log in logs:
            log.wake()

    def close(self) -> None:
        """After the server stopped: the waiting threads are done (every wait ends at a wake or a timeout)."""
        self._waiters.shutdown(wait=True)

    def add_to(self, server: grpc.aio.Server) -> str:
        add_service(server, SERVICE, {"Follow": async_server_stream(f"{SERVICE}.Follow", self.follow, FollowReq)})
        return SERVICE

    async def follow(self, request: FollowReq, context: grpc.aio.ServicerContext) -> AsyncIterator[LoggedEvent]:
        if request.after < 0:
            raise ServiceError(Code.INVALID_ARGUMENT, f"'after' must be 0 or more, got {request.after}")
        tenant, release = await hold_tenant_on_loop(context, self.tenants)
        log = tenant.log
        call = object()
        with self._lock:
            if len(self._following) >= self.max_followers:
                release()
                raise ServiceError(Code.RESOURCE_EXHAUSTED,
                                   f"{self.max_followers} event streams are open already, the most this server serves")
            self._following[call] = log
        loop = asyncio.get_running_loop()
        gone = threading.Event()  # the call ended (cancelled, or the server stopping): the waiting thread gives up
        end, after = log.last_position, request.after
        try:
            while not self._stopping.is_set():
                batch = await loop.run_in_executor(self._waiters, log.read, after)
                for logged in batch:
                    yield LoggedEvent(position=logged.position, version=logged.version,
                                      event=EventCodec.to_any(logged), recorded=logged.recorded)
                    after = logged.position
                if request.stop_at_end and after >= end:
                    return
                if not batch:
                    await loop.run_in_executor(self._waiters, lambda: log.wait_beyond(
                        after, SAFETY_WAKE_SECONDS, give_up=lambda: self._stopping.is_set() or gone.is_set()))
        except EventLogClosed:
            if not self._stopping.is_set():  # a stopping server ends the call itself
                raise ServiceError(Code.UNAVAILABLE, "the tenant was closed: it moved or the server is shutting down") from None
        finally:
            gone.set()
            log.wake()
            with self._lock:
                del self._following[call]
            release()
        if self._stopping.is_set():
            raise ServiceError(Code.UNAVAILABLE, "the server is shutting down")
