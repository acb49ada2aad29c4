"""The bf server: one grpcio server with the domain's services, SpecService,
the event stream, the tenant service, gRPC health and reflection.

It listens on TCP (`127.0.0.1:50051`, port 0 picks a free one) or a unix
socket (`unix:/path/to.sock`), and keeps its tenants under the data folder.
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from workbench.core.domain import Domain
from workbench.service.event_stream import EventStream
from workbench.service.inventory_service import add_domain_services
from workbench.service.limits import MAX_MESSAGE_BYTES
from workbench.service.spec_service import SpecService
from workbench.service.tenant_service import TenantService
from workbench.service.tenants import Tenants

DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_WORKERS = 32  # threads serving calls; each live event stream keeps one
GRACE_SECONDS = 3.0


class ListenError(OSError):
    pass


class Server:
    def __init__(self, domain: Domain, data_dir: Path | str, listen: str = DEFAULT_LISTEN,
                 workers: int = DEFAULT_WORKERS, tenants: Tenants | None = None,
                 credentials: grpc.ServerCredentials | None = None, extra_services: tuple = ()):
        self.listen = listen
        # `tenants` may be an encrypted, bounded pool (workbench/tenancy/pool.py);
        # `credentials` serve TLS (workbench/tenancy/certificates.py); each of
        # `extra_services` has `add_to(grpc_server) -> service name` (bf.TenancyService).
        self.tenants = tenants if tenants is not None else Tenants(domain, data_dir)
        self._credentials = credentials
        self._grpc = grpc.server(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bf-serve"), options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),  # a port in use is an error, not a silently shared port
        ])
        self.health = health.HealthServicer()
        self.event_stream = EventStream(self.tenants, max_followers=max(1, workers // 2))
        self.services = [
            *add_domain_services(self._grpc, domain, self.tenants),
            SpecService(domain).add_to(self._grpc),
            self.event_stream.add_to(self._grpc),
            TenantService(self.tenants).add_to(self._grpc),
            *(service.add_to(self._grpc) for service in extra_services),
        ]
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._grpc)
        reflection.enable_server_reflection(
            [*self.services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self._grpc)
        self.address = ""

    def start(self) -> str:
        """Bind and start serving; returns the address bound (with the real port when 0 was asked)."""
        try:
            if self._credentials is not None:
                port = self._grpc.add_secure_port(self.listen, self._credentials)
            else:
                port = self._grpc.add_insecure_port(self.listen)
        except RuntimeError as error:
            self.tenants.close()
            raise ListenError(f"cannot listen on {self.listen}: {error}") from None
        if self.listen.startswith("unix:"):
            self.address = self.listen
        else:
            self.address = f"{self.listen.rpartition(':')[0]}:{port}"
        self._grpc.start()
        for name in ("", *self.services):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return self.address

    def stop(self, grace: float = GRACE_SECONDS) -> None:
        """End the event streams, refuse new calls, let running ones finish for `grace` seconds, close the tenants."""
        self.health.enter_graceful_shutdown()
        self.event_stream.stop()
        self._grpc.stop(grace).wait()
        self.tenants.close()

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
