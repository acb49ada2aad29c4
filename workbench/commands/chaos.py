"""`bf chaos --seconds N`: the stress workload through a local cluster while a loop
kill -9s its processes; then what was lost (must be nothing) and how it held up."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.bench.console import table_lines
from workbench.cluster.serve_options import add_lease_seconds, nats_missing
from workbench.commands.perf import positive_int
from workbench.config import Project
from workbench.service.private_files import keep_files_private

EXIT_FAULT = 1
EXIT_CANNOT_RUN = 2
FAILOVER_P99_SECONDS = 5.0  # after the owner's kill while NATS is healthy (docs/cluster.md)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("chaos", help="load a local cluster while killing its processes; check nothing was lost")
    parser.add_argument("--seconds", type=float, default=60.0, metavar="N", help="seconds of kills (default 60)")
    parser.add_argument("--tenants", type=positive_int, default=4, metavar="N", help="tenants under load (default 4)")
    parser.add_argument("--nodes", type=positive_int, default=3, metavar="N", help="bf nodes (default 3)")
    parser.add_argument("--in-flight", type=positive_int, default=8, metavar="N",
                        help="calls in flight per tenant's workload (default 8)")
    parser.add_argument("--calm-seconds", type=float, default=10.0, metavar="N",
                        help="seconds of load on one single node, then on the calm cluster, to compare (default 10)")
    add_lease_seconds(parser)
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="the same seed picks the same victims (default 1)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="keep every process's files and logs here (default: removed)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    keep_files_private()  # the logs of the nodes and NATS servers it starts, their configs
    if nats_missing("chaos"):
        return EXIT_CANNOT_RUN
    from workbench.cluster.chaos import run_chaos
    from workbench.cluster.nats_servers import NatsServerMissing

    try:
        report = run_chaos(project, args.seconds, args.tenants, args.nodes, args.in_flight, args.calm_seconds,
                           args.lease_seconds, args.seed, args.data, say=lambda line: print(line, flush=True))
    except NatsServerMissing as error:
        print(f"bf chaos: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print("\n".join(report_lines(report)))
    return 0 if report.passed else EXIT_FAULT


def report_lines(report) -> list[str]:
    node_kills = sum(1 for k in report.kills if k.kind == "node")
    equal = "equal" if report.fingerprints_equal else "DIFFERENT"
    copies = sum(len(c) - 1 for c in report.fingerprints.values())
    rows = [
        ["kills (kill -9)", f"{len(report.kills)} ({node_kills} bf nodes, {len(report.kills) - node_kills} NATS)"],
        ["acknowledged writes lost", len(report.lost)],
        ["tenants with two writers", len(report.two_writers)],
        ["fingerprints (node copies, replay)", f"{equal}: {copies} copies of {len(report.fingerprints)} tenants"],
        ["availability (answered within 1 s)", f"{report.availability:.1%} of {report.requests:,} requests"],
        ["longest outage per tenant s (from)", "  ".join(f"{gap:.1f} ({at:.0f} s)" for gap, at in report.outages.values())],
        ["failover p50 / p99 s: owner killed, NATS healthy", _failover(report.clean_failovers)],
        ["  every takeover, NATS faults meanwhile too", _failover(report.failovers)],
        ["  every takeover less JetStream's own elections", _failover(report.failovers_beside_elections)],
        ["JetStream leaderless after a NATS kill s", _windows(report.leaderless)],
        ["warm copies' lag p50 / max s (calm)", _lag(report.replica_lag)],
        ["requests/s: single node", report.single_per_second],
        ["requests/s: calm cluster", report.calm_per_second],
        ["requests/s: cluster under chaos", report.chaos_per_second],
        ["calm cluster / single node", f"{report.calm_per_second / max(report.single_per_second, 1e-9):.2f}"],
    ]
    lines = table_lines(["chaos", "result"], rows)
    verdicts = {True: "met", False: "MISSED", None: "not measured"}
    lines.append("targets: " + ", ".join(f"{name} {verdicts[met]}" for name, met in targets(report)))
    lines += [f"LOST: {fault}" for fault in report.lost]
    lines += [f"TWO WRITERS: {tenant}" for tenant in report.two_writers]
    if not report.fingerprints_equal:
        lines += [f"FINGERPRINTS {tenant}: {copies}" for tenant, copies in report.fingerprints.items()]
    return lines


def targets(report) -> list[tuple[str, bool | None]]:
    """The bounds the cluster is built to (docs/cluster.md): each met in this run, missed, or not
    measured (None: no takeover of a killed owner, no copy's lag sampled)."""
    from workbench.cluster.chaos import failover_figures

    failover = failover_figures(report.clean_failovers)[1] <= FAILOVER_P99_SECONDS if report.clean_failovers else None
    return [
        ("0 lost", not report.lost),
        ("0 double writers", not report.two_writers),
        (f"failover p99 <= {FAILOVER_P99_SECONDS:.0f} s", failover),
        ("cluster >= half a single node", report.calm_per_second >= 0.5 * report.single_per_second),
        ("lag < 1 s", max(report.replica_lag) < 1.0 if report.replica_lag else None),
    ]


def _windows(windows: list[tuple[float, float]]) -> str:
    """The log's or the leases' elections: p50 / longest, and how many."""
    if not windows:
        return "none"
    lengths = sorted(end - start for start, end in windows)
    return f"{lengths[len(lengths) // 2]:.2f} / {lengths[-1]:.2f} ({len(lengths)} elections)"


def _lag(samples: list[float]) -> str:
    if not samples:
        return "-"
    ordered = sorted(samples)
    return f"{ordered[len(ordered) // 2]:.2f} / {ordered[-1]:.2f} ({len(ordered)} samples)"


def _failover(failovers: list[float]) -> str:
    from workbench.cluster.chaos import failover_figures

    p50, p99 = failover_figures(failovers)
    return f"{p50:.2f} / {p99:.2f} ({len(failovers)} takeovers)"
