"""`bf cluster restart`: every process of a local cluster restarted in turn while it serves,
as an upgrade is rolled out, with no outage for the clients.

The NATS servers go first, one at a time: a nats-server stopped with SIGTERM hands
the Raft leaders it holds (the log's, the lease bucket's) to the other servers
before it exits, so no election waits 4-9 s for a timeout as after a kill -9; the
next one is stopped only when the restarted one's JetStream is current again
(its /healthz), so two replicas are never missing at once. Then the bf nodes, one
at a time: SIGTERM makes a node refuse new calls, finish the running ones and give
its leases up, and the next call for its tenants takes the lease at another node
at once, from a warm copy; the next node goes once the restarted one listens.
Everything to start a process again is in cluster.json (`LocalCluster.save`).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from workbench.cluster.child import STOP_SECONDS
from workbench.cluster.local import (START_SECONDS, alive, log_size, read_state, runs_from, start_logged, wait_gone,
                                     wait_listening, write_state)
from workbench.cluster.nats_servers import READY_SECONDS, jetstream_current


class NatsFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Restarted:
    process: str  # "nats 1", "node n2"
    seconds: float  # from the stop signal to serving again


def roll(folder: Path | str, env: dict[str, str] | None = None,
         say: Callable[[Restarted], None] = lambda _: None) -> list[Restarted]:
    """Restart every process cluster.json in `folder` names, NATS servers first; the nodes get `env`
    (else this process's environment: its master key). Raises NodeFailed or NatsFailed, naming the
    process, when one does not come back; the ones after it are left as they were."""
    state = read_state(folder)
    if state is None:
        raise FileNotFoundError(f"no cluster runs from {folder} (bf cluster up)")
    done = []
    for number, entry in enumerate(state["nats"]):
        done.append(_restart(f"nats {number + 1}", entry, None, _nats_current(entry)))
        write_state(folder, state)
        say(done[-1])
    for entry in state["nodes"]:
        done.append(_restart(f"node {entry['name']}", entry, env, _node_listening(entry)))
        write_state(folder, state)
        say(done[-1])
    return done


def _restart(name: str, entry: dict, env: dict[str, str] | None, ready: Callable[[int, Callable[[], bool]], None]
             ) -> Restarted:
    started = time.monotonic()
    pid = entry.get("pid")
    if pid and runs_from(pid, entry["folder"]) and alive(pid):
        os.kill(pid, signal.SIGTERM)
        wait_gone([pid], time.monotonic() + STOP_SECONDS)
    offset = log_size(Path(entry["log"]))
    process = start_logged(entry["argv"], Path(entry["log"]), entry.get("cwd", entry["folder"]), env)
    entry["pid"] = process.pid
    ready(offset, lambda: process.poll() is None)
    return Restarted(name, time.monotonic() - started)


def _nats_current(entry: dict) -> Callable[[int, Callable[[], bool]], None]:
    def ready(offset: int, running: Callable[[], bool]) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while not jetstream_current(entry["monitor"]):
            if not running() or time.monotonic() > deadline:
                raise NatsFailed(f"the NATS server at {entry['url']} did not come back current within"
                                 f" {READY_SECONDS:.0f} s; see {entry['log']}")
            time.sleep(0.1)
    return ready


def _node_listening(entry: dict) -> Callable[[int, Callable[[], bool]], None]:
    def ready(offset: int, running: Callable[[], bool]) -> None:
        wait_listening(entry["name"], Path(entry["log"]), offset, running, START_SECONDS,
                       lambda: os.kill(entry["pid"], signal.SIGKILL) if running() else None)
    return ready

