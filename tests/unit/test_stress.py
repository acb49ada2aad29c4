"""`bf stress`: the same business, deterministic for a seed, through the tenant
directly and through a real `bf serve` over a unix socket and TCP."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from workbench.bench.stress import percentile, run_stress


def business(result):
    """What a run did to the business, leaving out timings and file sizes."""
    return [(row.figures, row.requests, row.rejected, row.events) for row in result.rows]


def test_rounds_grow_the_business_and_a_seed_repeats_it(project, small_rounds, tmp_path):
    first = run_stress(project, rounds=2, transport="inproc", data=tmp_path, seed=7)
    again = run_stress(project, rounds=2, transport="inproc", data=tmp_path, seed=7)
    other = run_stress(project, rounds=2, transport="inproc", seed=8)
    assert [row.figures["locations"] for row in first.rows] == [31, 62]
    assert [row.figures["products"] for row in first.rows] == [60, 120]
    assert first.rows[0].events < first.rows[1].events
    assert all(row.figures["on hand"] > 0 and row.figures["reserved"] >= 0 for row in first.rows)
    assert any(row.rejected for row in first.rows)  # some reservations find no stock
    assert business(again) == business(first)  # a second tenant in the same folder, the same run
    assert sorted(path.name for path in (tmp_path / "tenants").iterdir()) == ["default", "stress-7-1", "stress-7-2"]
    assert business(other) != business(first)


@pytest.mark.parametrize("transport, calls", [("unix", "stream"), ("unix", "unary"), ("tcp", "stream"),
                                              ("inproc", "stream")])
def test_every_transport_does_what_threads_calling_the_tenant_do(project, small_rounds, transport, calls):
    direct = run_stress(project, rounds=1, transport="inproc", seed=3, in_flight=4, calls="unary")
    remote = run_stress(project, rounds=1, transport=transport, seed=3, in_flight=64, calls=calls)
    assert remote.transport == f"{transport} {calls}"
    assert business(remote) == business(direct)
    row = remote.rows[0]
    assert row.db_bytes > 0 and 0 < row.p50_ms <= row.p99_ms and row.per_second > 0


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.99) == 99 and percentile([], 0.5) == 0


def test_cli_prints_a_row_per_round_and_the_verdict():
    result = subprocess.run([sys.executable, "-m", "workbench.cli", "stress", "--rounds", "1", "--transport", "inproc",
                             "--in-flight", "8"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    header, row, summary, caveat = result.stdout.splitlines()
    assert header.split()[:3] == ["round", "seconds", "db"] and header.split()[-1] == "events"
    assert row.split()[0] == "1" and "511" in row.split() and "1,000" in row.split()
    assert summary.startswith("inproc stream, seed 1: ") and "last round / first: 1.00" in summary
    assert caveat.startswith("caveat: ") and "8 calls in flight" in caveat


def test_growth_compares_the_last_round_and_the_medians_of_three():
    from workbench.bench.stress import StressResult, StressRow

    def row(number, seconds):
        return StressRow(number, seconds, 0, {}, 1, 0, 1.0, 1.0, 0)

    result = StressResult("inproc", 1, 32, [row(n, s) for n, s in enumerate([1.0, 2.0, 1.0, 1.0, 1.2, 1.2, 1.1], 1)])
    assert result.growth == pytest.approx(1.1)
    assert result.steady_growth == pytest.approx(1.2 / 1.0)
