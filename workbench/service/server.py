"""The bf server: one grpcio server with the domain's services, SpecService,
the event stream, the tenant service, gRPC health and reflection.

It listens on TCP (`127.0.0.1:50051`, port 0 picks a free one) or a unix
socket (`unix:/path/to.sock`), and keeps its tenants under the data folder.

It is a grpc.aio server on an event loop of its own thread: the domain's
calls are coroutines that wait on the loop while one thread per busy tenant
runs that tenant's groups (tenant.py), so a call costs no thread of its own
and no hand-off but its group's. The other services are plain functions, run
by `workers` threads.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Coroutine

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health
from grpc_reflection.v1alpha import reflection

from workbench.core.domain import Domain
from workbench.service.auth import bulk_authorizer
from workbench.service.bulk_service import BulkService
from workbench.service.auth import node_auth
from workbench.service.event_loop import new_event_loop
from workbench.service.event_stream import EventStream
from workbench.service.inventory_service import add_domain_services
from workbench.service.limits import MAX_MESSAGE_BYTES, MAX_METADATA_BYTES
from workbench.service.spec_service import SpecService
from workbench.service.tenant_service import TenantService
from workbench.service.tenants import Tenants

DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_WORKERS = 32  # threads for tenants' groups, as many for the other services; streams: half as many
GRACE_SECONDS = 3.0


class ListenError(OSError):
    pass


class Server:
    def __init__(self, domain: Domain, data_dir: Path | str, listen: str = DEFAULT_LISTEN,
                 workers: int = DEFAULT_WORKERS, tenants: Tenants | None = None,
                 credentials: grpc.ServerCredentials | None = None, extra_services: tuple = (),
                 interceptors: tuple | None = None):
        self.listen = listen
        if interceptors is None:
            interceptors = tuple(node_auth(domain, Path(data_dir), listen, credentials is not None)[0])
        # `tenants` may be an encrypted, bounded pool (workbench/tenancy/pool.py);
        # `credentials` serve TLS (workbench/tenancy/certificates.py); each of
        # `extra_services` has `add_to(grpc_server) -> service name` (bf.TenancyService);
        # `interceptors` (grpc.aio.ServerInterceptor) see every call first, in order (the request watch of
        # workbench/metrics/request_watch.py, then auth.py's Authorizer); by default auth.py's, from the
        # data folder's tokens.
        self.tenants = tenants if tenants is not None else Tenants(domain, data_dir)
        self._credentials = credentials
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bf-serve")
        self._loop = new_event_loop()
        # Tenants run their groups in the loop's executor (Tenant.run): one busy tenant never stalls the others.
        self._loop.set_default_executor(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bf-tenant"))
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="bf-serve-loop", daemon=True)
        self._loop_thread.start()
        self.health = health.HealthServicer()
        self.event_stream = EventStream(self.tenants, max_followers=max(1, workers // 2))
        self.bulk = BulkService(domain, self.tenants)
        self.bulk.authorize = bulk_authorizer(interceptors) or self.bulk.authorize  # each call's method and tenant
        self._grpc, self.services = self._on_loop(self._build(domain, workers, extra_services, interceptors))
        self.address = ""

    async def _build(self, domain: Domain, workers: int, extra_services: tuple,
                     interceptors: tuple) -> tuple[grpc.aio.Server, list[str]]:
        """The grpc.aio server with every service (made on the loop: it belongs to the loop)."""
        server = grpc.aio.server(self._workers, interceptors=list(interceptors), options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_metadata_size", MAX_METADATA_BYTES),
            ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
            ("grpc.so_reuseport", 0),  # a port in use is an error, not a silently shared port
        ])
        self.spec_service = SpecService(domain)  # its specs run on threads of its own (spec_runs.py)
        services = [
            *add_domain_services(server, domain, self.tenants),
            self.spec_service.add_to(server),
            self.event_stream.add_to(server),
            self.bulk.add_to(server),
            TenantService(self.tenants).add_to(server),
            *(service.add_to(server) for service in extra_services),
        ]
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            [*services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server)
        return server, services

    def _on_loop(self, coroutine: Coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def start(self) -> str:
        """Bind and start serving; returns the address bound (with the real port when 0 was asked)."""
        try:
            port = self._on_loop(self._bind())
        except RuntimeError as error:
            self._stop_loop()
            self.tenants.close()
            raise ListenError(f"cannot listen on {self.listen}: {error}") from None
        if self.listen.startswith("unix:"):
            self.address = self.listen
        else:
            self.address = f"{self.listen.rpartition(':')[0]}:{port}"
        self._on_loop(self._grpc.start())
        for name in ("", *self.services):
            self._on_loop(self.health.set(name, health_pb2.HealthCheckResponse.SERVING))
        return self.address

    def stop(self, grace: float = GRACE_SECONDS) -> None:
        """End the event streams, refuse new calls, let running ones finish for `grace` seconds, close the tenants."""
        self._on_loop(self.health.enter_graceful_shutdown())
        self.event_stream.stop()
        self._on_loop(self._grpc.stop(grace))
        # The loop runs until every thread is done: a plain function's last words
        # (its status, a stream's end) and a tenant's last group go through it.
        self.tenants.close()
        self._workers.shutdown(wait=True)
        self.spec_service.runs.close()
        self.event_stream.close()
        self._on_loop(self._loop.shutdown_default_executor())
        self._stop_loop()

    async def _bind(self) -> int:
        port = self.listen.rpartition(":")[2]
        if not self.listen.startswith("unix:") and not (port.isdigit() and int(port) <= 65535):
            # gRPC would bind 127.0.0.1:99999 as port 34463 (modulo 65536), silently
            raise RuntimeError(f"the port must be a number from 0 to 65535, not {port!r}")
        if self._credentials is not None:
            return self._grpc.add_secure_port(self.listen, self._credentials)
        return self._grpc.add_insecure_port(self.listen)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join()
        self._loop.close()

    def serve_until_signalled(self, stopping: threading.Event | None = None) -> None:
        """Block until SIGINT or SIGTERM (or `stopping`, from `catch_stop_signals`), then stop cleanly."""
        (stopping or catch_stop_signals()).wait()
        self.stop()


def catch_stop_signals() -> threading.Event:
    """From now on SIGINT and SIGTERM set the returned event instead of killing the
    process: catch them before announcing the server, so none arrives unhandled."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    return stopping
