"""A short `bf chaos`: real NATS servers and bf nodes killed with SIGKILL under load.

The long run (120 s, 50+ kills) is `benchmarks/cluster_chaos.py`; this one kills
a handful of processes and checks the same invariants: no acknowledged write
lost, never two writers, every node's copy equal to a replay of the log.
"""

import pytest

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.chaos import run_chaos  # noqa: E402
from workbench.commands.chaos import report_lines  # noqa: E402


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
