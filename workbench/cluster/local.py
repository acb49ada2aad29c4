"""A whole cluster on this machine: NATS servers and `bf serve --cluster` nodes,
each a real process with its own folder and log under one data folder.

Used by `bf cluster up/status/down`, `bf chaos` and the tests. Every process
keeps its ports when restarted, so addresses handed out stay valid.

    <folder>/cluster.json     what runs: ports, pids, addresses (for status and down)
    <folder>/nats-<n>/        a NATS server: nats.conf, nats.log, jetstream/
    <folder>/node-<n>/        a bf node: its tenants' cached logs and states, serve.log
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from workbench.cluster.child import Child
from workbench.cluster.nats_servers import NatsCluster, free_ports, wait_ready

STATE_FILE = "cluster.json"
START_SECONDS = 30.0
READY_PREFIX = "bf serve: listening on "


class NodeFailed(RuntimeError):
    pass


def node_environment(master_key: str | None = None) -> dict[str, str]:
    """This process's environment for the nodes, with `master_key` (hex) as theirs, or none at all."""
    from workbench.tenancy.master_key import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV

    env = {k: v for k, v in os.environ.items() if k not in (MASTER_KEY_ENV, MASTER_KEY_FILE_ENV)}
    if master_key:
        env[MASTER_KEY_ENV] = master_key
    return env


@dataclass
class BfNode(Child):
    number: int
    folder: Path
    port: int
    process: subprocess.Popen | None = None
    serve_args: tuple[str, ...] = ()  # more `bf serve` options (--tls DIR), the same for every node
    env: dict[str, str] | None = None  # the node's environment (a master key), else this process's
    _log_offset: int = 0

    @property
    def name(self) -> str:
        return f"n{self.number}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "serve.log"

    def argv(self, project_root: Path, nats_urls: str, lease_seconds: float) -> list[str]:
        return [sys.executable, "-m", "workbench.cli", "--project", str(project_root), "serve",
                "--listen", self.address, "--data", str(self.folder), "--cluster", nats_urls,
                "--node", self.name, "--lease-seconds", str(lease_seconds), *self.serve_args]

    def start(self, project_root: Path, nats_urls: str, lease_seconds: float) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._log_offset = log_size(self.log_path)
        self.process = start_logged(self.argv(project_root, nats_urls, lease_seconds), self.log_path, project_root,
                                    self.env)

    def wait_listening(self, timeout: float = START_SECONDS) -> None:
        """Until its log says it listens (or it died, or `timeout` passed)."""
        wait_listening(self.name, self.log_path, self._log_offset, lambda: self.running, timeout, self.kill)


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def start_logged(argv: list[str], log_path: Path, cwd: Path | str, env: dict[str, str] | None) -> subprocess.Popen:
    """Start a process of the cluster, its output appended to `log_path` (not a pipe: it outlives `bf cluster up`)."""
    with open(log_path, "a") as log:
        return subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True, cwd=cwd, env=env)


def wait_listening(name: str, log_path: Path, offset: int, running: Callable[[], bool], timeout: float,
                   kill: Callable[[], None]) -> None:
    """Until the node's log, past `offset`, says it listens; NodeFailed (and `kill()`) when it died
    or `timeout` passed first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running():
        with open(log_path, "rb") as log:
            log.seek(offset)
            if READY_PREFIX.encode() in log.read():
                return
        time.sleep(0.05)
    kill()
    with open(log_path, "rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").strip().splitlines()
    raise NodeFailed(f"bf node {name} did not start; its log ends: {(lines or ['(nothing)'])[-1]!r}; see {log_path}")


class LocalCluster:
    def __init__(self, folder: Path | str, project_root: Path, nodes: int = 3, nats: int = 3,
                 lease_seconds: float = 3.0, serve_args: tuple[str, ...] = (), env: dict[str, str] | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.project_root = Path(project_root)
        self.lease_seconds = lease_seconds
        self.nats = NatsCluster(self.folder, nats)
        self.nodes = [BfNode(n + 1, self.folder / f"node-{n + 1}", port, serve_args=serve_args, env=env)
                      for n, port in enumerate(free_ports(nodes))]

    @property
    def addresses(self) -> list[str]:
        return [node.address for node in self.nodes]

    def start(self) -> "LocalCluster":
        self.nats.start()
        try:
            wait_ready(self.nats.urls)
            for node in self.nodes:
                node.start(self.project_root, self.nats.url_list, self.lease_seconds)
            for node in self.nodes:
                node.wait_listening()
        except BaseException:
            self.stop()
            raise
        self.save()
        return self

    def restart_node(self, index: int) -> None:
        node = self.nodes[index]
        node.kill()
        node.start(self.project_root, self.nats.url_list, self.lease_seconds)
        node.wait_listening()

    def restart_nats(self, index: int) -> None:
        self.nats.restart(index)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.nats.stop()
        stop_recorded(self.folder)  # and what a rolling restart started in their place

    def save(self) -> None:
        """Write what runs to cluster.json, for `bf cluster status`, `restart` and `down` in another
        process: how to start each process again too (no secret: a master key stays in the environment)."""
        state = {
            "nats": [{"url": s.url, "pid": s.process.pid if s.running else None, "folder": str(s.folder),
                      "monitor": s.monitor_url, "argv": s.argv(self.nats.binary), "log": str(s.log_path)}
                     for s in self.nats.servers],
            "nodes": [{"name": n.name, "address": n.address, "pid": n.process.pid if n.running else None,
                       "folder": str(n.folder), "log": str(n.log_path), "cwd": str(self.project_root),
                       "argv": n.argv(self.project_root, self.nats.url_list, self.lease_seconds)}
                      for n in self.nodes],
            "lease_seconds": self.lease_seconds,
        }
        write_state(self.folder, state)


def write_state(folder: Path | str, state: dict) -> None:
    path = Path(folder) / STATE_FILE
    path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)


def read_state(folder: Path | str) -> dict | None:
    path = Path(folder) / STATE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def running_pids(state: dict) -> list[int]:
    """The pids cluster.json names that still run from their folders."""
    return [entry["pid"] for entry in state["nats"] + state["nodes"] if still_running(entry)]


def still_running(entry: dict) -> bool:
    """The process a cluster.json entry names still runs (and is still ours)."""
    pid = entry.get("pid")
    return bool(pid) and runs_from(pid, entry["folder"]) and alive(pid)


def stop_recorded(folder: Path | str, timeout: float = 15.0) -> list[str]:
    """SIGTERM every process cluster.json names that still runs from this folder, nodes
    first (they give their leases up while JetStream still answers), wait for them (SIGKILL
    what hangs), then the NATS servers. Returns what was stopped."""
    state = read_state(folder)
    if state is None:
        return []
    stopped = []
    for kind, entries in (("node", state["nodes"]), ("nats", state["nats"])):
        pids = []
        for entry in entries:
            pid = entry.get("pid")
            if still_running(entry):
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
                stopped.append(f"{kind} {entry.get('name') or entry.get('url')} (pid {pid})")
        wait_gone(pids, time.monotonic() + timeout)
    (Path(folder) / STATE_FILE).unlink(missing_ok=True)
    return stopped


def wait_gone(pids: list[int], deadline: float) -> None:
    for pid in pids:
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def runs_from(pid: int, folder: str) -> bool:
    """The pid is still the process we started (its command line names its folder), not a reused pid."""
    try:
        return folder in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
        return status != "Z"
    except OSError:
        return True
