"""`bf chaos`: the stress workload through a local cluster while processes die.

1. One `bf serve` alone (no cluster) takes the load for `calm_seconds`: the
   single-node throughput of this run, on this machine, now.
2. A local cluster (3 NATS servers, `nodes` bf nodes) takes the same load,
   calm for `calm_seconds`, then for `seconds` while a loop kill -9s a random
   bf node or NATS server every 1-2.5 s and restarts it after a moment (never
   two NATS servers down at once, never every bf node).
3. Then it checks, from the log on JetStream: acknowledged writes lost, tenants
   with two writers at once, every node's copy of every tenant against a replay
   of its log; and measures availability, outages and failover times.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from workbench.bench.server_process import ServerProcess
from workbench.bench.stress import percentile
from workbench.cluster.audit import log_groups, missing, positions_continue, replayed_fingerprint, tenant_fingerprint, writers_overlap
from workbench.cluster.chaos_load import Load, TenantRecord, answered, create_tenants, ledger_faults
from workbench.cluster.client import ClusterClient
from workbench.cluster.elections import LeaderWatch, overlap
from workbench.cluster.heartbeats import read_nodes
from workbench.cluster.leases import Leases
from workbench.cluster.link import NatsLink
from workbench.cluster.local import LocalCluster, NodeFailed, node_environment
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.service.tenant import LOG_FILE

AVAILABLE_WITHIN = 1.0  # an answer later than this after the first attempt counts as unavailable
KILL_EVERY = (1.0, 2.5)  # seconds between kills
DOWN_FOR = (0.2, 1.0)  # seconds a killed process stays down


@dataclass
class Kill:
    kind: str  # "node" or "nats"
    index: int
    at: float
    owned: list[str]  # tenants the killed node held
    nats_healthy: bool  # every NATS server up and current, the log and leases leaders answering: no election on


@dataclass
class ChaosReport:
    seconds: float
    tenants: int
    nodes: int
    kills: list[Kill] = field(default_factory=list)
    single_per_second: float = 0.0
    calm_per_second: float = 0.0
    chaos_per_second: float = 0.0
    lost: list[str] = field(default_factory=list)
    two_writers: list[str] = field(default_factory=list)
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)  # tenant -> copy -> fingerprint
    availability: float = 0.0
    requests: int = 0
    outages: dict[str, tuple[float, float]] = field(default_factory=dict)  # tenant -> its longest gap between answers, and when it began
    failovers: list[float] = field(default_factory=list)
    clean_failovers: list[float] = field(default_factory=list)  # those with no NATS server down or catching up
    # Each failover less the time JetStream had no leader for the log or the leases meanwhile (elections.py).
    failovers_beside_elections: list[float] = field(default_factory=list)
    leaderless: list[tuple[float, float]] = field(default_factory=list)  # JetStream's elections: (from, to)
    replica_lag: list[float] = field(default_factory=list)  # warm copies' lag, sampled each second while calm

    @property
    def fingerprints_equal(self) -> bool:
        return all(len(set(copies.values())) == 1 for copies in self.fingerprints.values())

    @property
    def passed(self) -> bool:
        return not self.lost and not self.two_writers and self.fingerprints_equal


def run_chaos(project: Project, seconds: float, tenants: int = 4, nodes: int = 3, in_flight: int = 8,
              calm_seconds: float = 10.0, lease_seconds: float = 3.0, seed: int = 1, folder: Path | None = None,
              say=print) -> ChaosReport:
    domain = Domain.load(project)
    report = ChaosReport(seconds, tenants, nodes)
    rng = random.Random(seed)
    names = [f"chaos-{n + 1}" for n in range(tenants)]
    root = Path(tempfile.mkdtemp(prefix="bf-chaos-")) if folder is None else Path(folder)
    try:
        say(f"single node: {calm_seconds:g} s of load on one bf serve (no cluster)")
        report.single_per_second = _single_node(project, domain, root / "single", names, in_flight, calm_seconds, seed)
        say(f"cluster: 3 NATS servers, {nodes} bf nodes, leases of {lease_seconds:g} s, in {root / 'cluster'}")
        # In the clear whatever this shell holds: the audit reads the events on JetStream.
        cluster = LocalCluster(root / "cluster", project.root, nodes, lease_seconds=lease_seconds,
                               env=node_environment()).start()
        try:
            _on_cluster(cluster, project, domain, names, in_flight, calm_seconds, seed, rng, report, say)
        finally:
            cluster.stop()
    finally:
        if folder is None:
            shutil.rmtree(root, ignore_errors=True)
    return report


def _single_node(project: Project, domain: Domain, folder: Path, names: list[str], in_flight: int,
                 seconds: float, seed: int) -> float:
    server = ServerProcess(project, "127.0.0.1:0", folder)
    try:
        client = ClusterClient([server.address], domain)
        create_tenants(client, server.address, names)
        load = Load(client, project.domain, names, in_flight, seed)
        return _timed(load, seconds)
    finally:
        server.stop()


def _timed(load: Load, seconds: float) -> float:
    """Run `load` for `seconds`; answers a second over that time."""
    load.start()
    started = time.monotonic()
    time.sleep(seconds)
    load.join()
    elapsed = time.monotonic() - started
    return sum(1 for r in load.records.values() for a in r.answers if answered(a) and a.finished >= started) / elapsed


def _on_cluster(cluster: LocalCluster, project: Project, domain: Domain, names: list[str], in_flight: int,
                calm_seconds: float, seed: int, rng: random.Random, report: ChaosReport, say) -> None:
    client = ClusterClient(cluster.addresses, domain)
    link = NatsLink(cluster.nats.urls, name="bf-chaos")
    try:
        create_tenants(client, cluster.addresses[0], names)
        calm = Load(client, project.domain, names, in_flight, seed)
        lags = LagWatch(link, time.monotonic() + calm_seconds)
        report.calm_per_second = _timed(calm, calm_seconds)
        report.replica_lag = lags.join()
        say(f"chaos: {report.seconds:g} s of load while processes are killed")
        load = Load(client, project.domain, names, in_flight, seed + 1000)
        load.start()
        started = time.monotonic()
        _kill_loop(cluster, link, rng, started + report.seconds, report, say)
        load.join()
        elapsed = time.monotonic() - started
        records = list(load.records.values())
        report.chaos_per_second = sum(1 for r in records for a in r.answers if answered(a)) / elapsed
        _measure(records, report, started)
        say("checking: every acknowledged write, the writers of every log, every copy's fingerprint")
        _check_writes(load, [*calm.records.values(), *records], link, report)
        for node in cluster.nodes:  # a clean stop commits every copy's state
            node.stop()
        _check_copies(cluster, link, domain, names, report)
    finally:
        link.close()
        client.close()


def _kill_loop(cluster: LocalCluster, link: NatsLink, rng: random.Random, until: float, report: ChaosReport, say) -> None:
    restarts: list[threading.Thread] = []
    restarting: set[tuple[str, int]] = set()  # killed and not yet back
    owners = OwnersWatch(link, until)
    leaders = LeaderWatch(link, until)
    while time.monotonic() < until:
        time.sleep(rng.uniform(*KILL_EVERY))
        victims = [("node", i) for i in range(len(cluster.nodes)) if ("node", i) not in restarting]
        if len(victims) < 2:
            victims = []  # never every bf node
        # The last NATS server killed has caught up and its election (if it led) is over: another kill
        # now is a second failure, not two at once, which an R3 stream is not built to survive.
        nats_healthy = all(server.healthy() for server in cluster.nats.servers) and leaders.answering()
        if nats_healthy:
            victims += [("nats", i) for i in range(len(cluster.nats.servers))]
        if not victims:
            continue
        kind, index = rng.choice(victims)
        owned = owners.of(cluster.nodes[index].name) if kind == "node" else []
        (cluster.nodes[index].kill if kind == "node" else cluster.nats.servers[index].kill)()
        report.kills.append(Kill(kind, index, time.monotonic(), owned, nats_healthy))
        say(f"  {time.monotonic() - until + report.seconds:6.1f} s  kill -9 {kind} {index + 1}"
            f"{' (owner of ' + ', '.join(owned) + ')' if owned else ''}")
        restarting.add((kind, index))
        thread = threading.Thread(target=_restart_later, daemon=True, args=(
            cluster, kind, index, rng.uniform(*DOWN_FOR), restarting, lambda line: say(f"  {line}")))
        thread.start()
        restarts.append(thread)
    for thread in restarts:
        thread.join()
    owners.join()
    leaders.join()
    report.leaderless = leaders.leaderless([k.at for k in report.kills if k.kind == "nats"])


class LagWatch:
    """The warm copies' lag (how old the newest event was when it reached the copy), as the
    nodes report it in their heartbeats, sampled each second until `until`."""

    def __init__(self, link: NatsLink, until: float):
        self._link, self._until, self.samples = link, until, []
        self._thread = threading.Thread(target=self._watch, name="bf-chaos-lag", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while time.monotonic() < self._until:
            time.sleep(1.0)
            for beat in read_nodes(self._link).values():
                self.samples += [t["lag_s"] for t in beat["tenants"].values() if t["role"] == "replica"]

    def join(self) -> list[float]:
        self._thread.join()
        return self.samples


class OwnersWatch:
    """Who owns which tenant, read every half second on a thread of its own: the kill
    loop must not wait for the lease bucket while NATS elects a leader."""

    def __init__(self, link: NatsLink, until: float):
        self._leases = Leases(link, "chaos", "")
        self._owners: dict[str, str] = {}
        self._until = until
        self._thread = threading.Thread(target=self._watch, name="bf-chaos-owners", daemon=True)
        self._thread.start()

    def of(self, node: str) -> list[str]:
        return sorted(tenant for tenant, owner in self._owners.items() if owner == node)

    def _watch(self) -> None:
        while time.monotonic() < self._until:
            try:
                self._owners = {t: o.node for t, o in self._leases.all_owners().items()}
            except Exception:  # no answer for now: keep the last view
                pass
            time.sleep(0.5)

    def join(self) -> None:
        self._thread.join()


def _restart_later(cluster: LocalCluster, kind: str, index: int, after: float, restarting: set, say) -> None:
    time.sleep(after)
    started = time.monotonic()
    try:
        if kind == "node":
            cluster.restart_node(index)
        else:
            cluster.restart_nats(index)
    except NodeFailed:
        cluster.restart_node(index)  # it could not reach JetStream in time: once more
    restarting.discard((kind, index))
    if kind == "node":
        say(f"{' ' * 8}node {index + 1} serves again after {after + time.monotonic() - started:.1f} s down")


def _measure(records: list[TenantRecord], report: ChaosReport, started: float) -> None:
    answers = [a for r in records for a in r.answers if a.started >= started]
    report.requests = len(answers)
    report.availability = sum(1 for a in answers if answered(a) and a.seconds <= AVAILABLE_WITHIN) / max(1, len(answers))
    for record in records:
        done = sorted(a.finished for a in record.answers if answered(a) and a.finished >= started)
        gaps = [(b - a, a - started) for a, b in zip([started, *done], done)]
        report.outages[record.name] = max(gaps, default=(0.0, 0.0))
    by_tenant = {r.name: sorted(a.finished for a in r.answers if answered(a)) for r in records}
    for kill in report.kills:
        for tenant in kill.owned:
            after = [t for t in by_tenant.get(tenant, []) if t > kill.at]
            if after:
                report.failovers.append(after[0] - kill.at)
                report.failovers_beside_elections.append(after[0] - kill.at - overlap(kill.at, after[0], report.leaderless))
                if kill.nats_healthy and not _nats_killed_within(report.kills, kill.at, after[0]):
                    report.clean_failovers.append(after[0] - kill.at)


def _check_writes(load: Load, records: list[TenantRecord], link: NatsLink, report: ChaosReport) -> None:
    ids: dict[str, set[str]] = {}
    for record in records:
        ids.setdefault(record.name, set()).update(record.acknowledged_ids)
    for record in load.records.values():
        report.lost += ledger_faults(record, load.ledger_on_hand(record))
    for tenant, acknowledged in ids.items():
        groups = log_groups(link, tenant)
        gone = missing(groups, acknowledged)
        if gone:
            report.lost.append(f"{tenant}: {len(gone)} acknowledged ids in no logged event, e.g. {sorted(gone)[0]}")
        if writers_overlap(groups) or not positions_continue(groups):
            report.two_writers.append(tenant)


def _check_copies(cluster: LocalCluster, link: NatsLink, domain: Domain, names: list[str], report: ChaosReport) -> None:
    for tenant in names:
        copies = {"replay": replayed_fingerprint(link, domain, tenant)}
        for node in cluster.nodes:
            folder = node.folder / "tenants" / tenant
            if (folder / LOG_FILE).exists():
                copies[node.name] = tenant_fingerprint(link, domain, tenant, folder)
        report.fingerprints[tenant] = copies


def _nats_killed_within(kills: list[Kill], start: float, end: float) -> bool:
    return any(k.kind == "nats" and start <= k.at <= end for k in kills)


def failover_figures(failovers: list[float]) -> tuple[float, float]:
    ordered = sorted(failovers)
    return percentile(ordered, 0.5), percentile(ordered, 0.99)
