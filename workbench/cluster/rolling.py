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
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from workbench.cluster.child import STOP_SECONDS
from workbench.cluster.local import (START_SECONDS, log_size, read_state, start_logged, still_running, wait_gone,
                                     wait_listening, write_state)
from workbench.cluster.nats_servers import READY_SECONDS, jetstream_current


class NatsFailed(RuntimeError):
    pass


class NotRestartable(RuntimeError):
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
        raise NotRestartable(f"no cluster runs from {folder} (bf cluster up)")
    if not all("argv" in entry for entry in state["nats"] + state["nodes"]):
        raise NotRestartable(f"the cluster in {folder} was started by an older bf that did not record how to"
                             f" restart it: bf cluster down --data {folder}, then up")
    done = []
    for number, entry in enumerate(state["nats"]):
        started = time.monotonic()
        process = _stop_and_start(entry, env=None)
        _wait_current(entry, process)
        done.append(_record(folder, state, f"nats {number + 1}", started, say))
    for entry in state["nodes"]:
        started, offset = time.monotonic(), log_size(Path(entry["log"]))
        process = _stop_and_start(entry, env)
        wait_listening(entry["name"], Path(entry["log"]), offset, lambda: process.poll() is None, START_SECONDS,
                       process.kill)
        done.append(_record(folder, state, f"node {entry['name']}", started, say))
    return done


def _stop_and_start(entry: dict, env: dict[str, str] | None) -> subprocess.Popen:
    if still_running(entry):
        os.kill(entry["pid"], signal.SIGTERM)
        wait_gone([entry["pid"]], time.monotonic() + STOP_SECONDS)
    process = start_logged(entry["argv"], Path(entry["log"]), entry.get("cwd", entry["folder"]), env)
    entry["pid"] = process.pid
    return process


def _wait_current(entry: dict, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while not jetstream_current(entry["monitor"]):
        if process.poll() is not None or time.monotonic() > deadline:
            raise NatsFailed(f"the NATS server at {entry['url']} did not come back current within"
                             f" {READY_SECONDS:.0f} s; see {entry['log']}")
        time.sleep(0.1)


def _record(folder: Path | str, state: dict, process: str, started: float, say) -> Restarted:
    write_state(folder, state)  # the new pid, for status, down and the next restart
    step = Restarted(process, time.monotonic() - started)
    say(step)
    return step
