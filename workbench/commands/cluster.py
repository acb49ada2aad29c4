"""`bf cluster up | status | restart | down`: a whole cluster on this machine (NATS
servers and bf nodes on loopback, each a process with its folder and log)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.bench.console import table_lines
from workbench.cluster.serve_options import add_lease_seconds, nats_missing
from workbench.commands.perf import positive_int
from workbench.config import Project
from workbench.service.private_files import keep_files_private
from workbench.service.rpc import ServiceError

DEFAULT_FOLDER = "data/cluster"  # under the project (git ignores data/)
EXIT_FAILED = 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("cluster", help="start, inspect and stop a local cluster (NATS JetStream + bf nodes)")
    parser.add_argument("action", choices=("up", "status", "restart", "down"),
                        help="restart: every process in turn, as an upgrade is rolled out, with no outage")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help=f"the cluster's folder: every process's files and log (default {DEFAULT_FOLDER}/ in the project)")
    parser.add_argument("--nodes", type=positive_int, default=3, metavar="N", help="bf nodes to start (up; default 3)")
    add_lease_seconds(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    keep_files_private()  # the logs of the nodes and NATS servers it starts, their configs
    if nats_missing("cluster"):
        return EXIT_FAILED
    from workbench.cluster import local

    folder = args.data or project.root / DEFAULT_FOLDER
    return {"up": _up, "status": _status, "restart": _restart, "down": _down}[args.action](args, project, folder, local)


def _up(args, project: Project, folder: Path, local) -> int:
    state = local.read_state(folder)
    if state is not None and local.running_pids(state):
        print(f"bf cluster: a cluster already runs from {folder}: `bf cluster down --data {folder}` first", file=sys.stderr)
        return EXIT_FAILED
    try:
        cluster = local.LocalCluster(folder, project.root, args.nodes, lease_seconds=args.lease_seconds).start()
    except (RuntimeError, ServiceError) as error:  # no nats-server, a node that did not start, NATS not ready
        print(f"bf cluster: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"bf cluster: up in {folder}")
    print(f"NATS (JetStream, R3): {cluster.nats.url_list}")
    for node in cluster.nodes:
        print(f"node {node.name}: {node.address}  log {node.log_path}")
    print(f"try: bf test --target {cluster.nodes[0].address}; bf cluster status; bf cluster down")
    return 0


def _status(args, project: Project, folder: Path, local) -> int:
    state = local.read_state(folder)
    if state is None:
        print(f"bf cluster: no cluster runs from {folder} (bf cluster up)", file=sys.stderr)
        return EXIT_FAILED
    from workbench.cluster.link import ClusterUnavailable, NatsLink
    from workbench.cluster.status import cluster_status, seconds_since

    running = set(local.running_pids(state))
    processes = [[f"nats {n + 1}", entry["url"], "up" if entry["pid"] in running else "DOWN"]
                 for n, entry in enumerate(state["nats"])]
    processes += [[f"node {entry['name']}", entry["address"], "up" if entry["pid"] in running else "DOWN"]
                  for entry in state["nodes"]]
    print("\n".join(table_lines(["process", "address", "state"], processes)))
    try:
        link = NatsLink([entry["url"] for entry in state["nats"]], name="bf-status", connect_seconds=5)
    except ClusterUnavailable as error:
        print(f"bf cluster: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    try:
        nodes, tenants = cluster_status(link)
    except ClusterUnavailable as error:
        print(f"bf cluster: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        link.close()
    print()
    print("\n".join(table_lines(["node", "address", "tenants", "last heard s"],
                                 [[name, beat["address"], len(beat["tenants"]), seconds_since(beat)]
                                  for name, beat in sorted(nodes.items())])))
    print()
    print("\n".join(table_lines(["tenant", "owner", "log head", "owner lag (events)", "warm copies (events behind)"],
                                 [[t.name, t.owner, t.head, "-" if t.lag is None else t.lag, t.copies]
                                  for t in tenants])))
    return 0


def _restart(args, project: Project, folder: Path, local) -> int:
    from workbench.cluster.rolling import NatsFailed, NotRestartable, roll

    try:
        done = roll(folder, say=lambda step: print(f"{step.process}: serving again after {step.seconds:.1f} s",
                                                   flush=True))
    except (local.NodeFailed, NatsFailed, NotRestartable) as error:
        print(f"bf cluster: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"bf cluster: restarted {len(done)} processes in {sum(step.seconds for step in done):.1f} s")
    return 0


def _down(args, project: Project, folder: Path, local) -> int:
    stopped = local.stop_recorded(folder)
    if not stopped:
        print(f"bf cluster: nothing runs from {folder}")
        return 0
    for line in stopped:
        print(f"stopped {line}")
    return 0
