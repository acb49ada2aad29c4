"""A short `bf chaos`: real NATS servers and bf nodes killed with SIGKILL under load.

The long run (120 s, 50+ kills) is `benchmarks/cluster_chaos.py`; this one kills
a handful of processes and checks the same invariants: no acknowledged write
lost, never two writers, every node's copy equal to a replay of the log.
"""

import pytest

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.chaos import ChaosReport, run_chaos  # noqa: E402
from workbench.commands.chaos import report_lines, targets  # noqa: E402


def test_a_short_chaos_run_loses_nothing_and_never_has_two_writers(project, tmp_path):
    report = run_chaos(project, seconds=12, tenants=2, nodes=3, in_flight=4, calm_seconds=2, lease_seconds=2,
                       seed=7, folder=tmp_path, say=lambda line: None)
    lines = "\n".join(report_lines(report))
    assert len(report.kills) >= 3, lines
    assert report.lost == [], lines
    assert report.two_writers == [], lines
    assert report.fingerprints_equal, lines
    assert all(len(copies) >= 2 for copies in report.fingerprints.values()), lines  # a replay and a node's copy at least
    assert report.requests > 100 and report.availability > 0.5, lines
    assert report.single_per_second > 0 and report.calm_per_second > 0, lines


def test_the_report_judges_each_target_and_says_when_one_was_not_measured():
    report = ChaosReport(seconds=1, tenants=1, nodes=3, single_per_second=100.0, calm_per_second=49.0,
                         clean_failovers=[0.2] * 99 + [5.5], replica_lag=[0.1, 0.4])
    assert dict(targets(report)) == {"0 lost": True, "0 double writers": True, "failover p99 <= 5 s": True,
                                     "cluster >= half a single node": False, "lag < 1 s": True}
    report.clean_failovers.append(5.2)  # two slow takeovers in 101: the 99th percentile is one of them
    report.lost, report.replica_lag = ["t: 1 acknowledged id in no logged event"], []
    judged = dict(targets(report))
    assert judged["failover p99 <= 5 s"] is False and judged["0 lost"] is False and judged["lag < 1 s"] is None
    report.clean_failovers = []
    assert dict(targets(report))["failover p99 <= 5 s"] is None
    assert any("failover p99 <= 5 s not measured" in line for line in report_lines(report))
