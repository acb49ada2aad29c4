"""Crash-point testing (issue 12): every durable step of compaction, key rotation,
migration, adoption and a tenant's creation, killed with SIGKILL once, then
recovered and retried, loses no acknowledged write and never leaves a tenant
served by two nodes (tests/crash/harness.py; the soak is benchmarks/crash_points.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import ROOT
from tests.crash.harness import declared_points, points_to_kill, run


def test_each_crash_point_of_the_code_once_and_a_random_kill_per_operation(domain, capsys):
    report = run(domain, passes="first", random_kills=1, seed=12, progress=lambda line: None)
    with capsys.disabled():
        print(f"\n{report.summary()} in {report.seconds:.0f} s")
    assert report.uncovered == set()
    assert [(o.scenario, o.where, o.notes) for o in report.failed] == []
    assert re.fullmatch(rf"{len(declared_points())} crash points, 0 lost, 0 doubly served"
                        r" \(counting 4 random kills too\)", report.summary())


def test_the_code_names_the_durable_steps_of_every_maintenance_operation():
    points = declared_points()
    for operation in ("compaction.", "rotation.", "migration.", "adoption.", "keys.", "tenants."):
        assert any(p.startswith(operation) for p in points), operation
    assert {"compaction.archived-log", "migration.sealed", "adoption.live"} <= points


def test_a_crash_point_kills_at_its_nth_pass_and_traces_the_passes(tmp_path):
    code = ("from workbench.core.crash_points import crash_point\n"
            "for _ in range(5):\n    crash_point('demo.step')\n    crash_point('demo.other')\nprint('survived')")
    trace = tmp_path / "trace"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BF_CRASH_TRACE": str(trace)}
    done = subprocess.run([sys.executable, "-c", code], env={**env, "BF_CRASH_AT": "demo.other@3"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -9 and "survived" not in done.stdout
    assert trace.read_text().split() == ["demo.step@1", "demo.other@1", "demo.step@2", "demo.other@2",
                                         "demo.step@3", "demo.other@3"]
    unarmed = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                             capture_output=True, text=True, timeout=60)
    assert unarmed.returncode == 0 and "survived" in unarmed.stdout


def test_the_passes_chosen_to_kill_at():
    reached = ["a@1", "b@1", "a@2", "a@3"]
    assert points_to_kill(reached, "first") == ["a@1", "b@1"]
    assert points_to_kill(reached, "first-last") == ["a@1", "a@3", "b@1"]
    assert points_to_kill(reached, "all") == ["a@1", "a@2", "a@3", "b@1"]
