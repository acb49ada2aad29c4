"""`bf perf`: real worker processes on real specs; only passing specs are timed."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from workbench.bench.perf import APPLY_EVENT, HANDLE_REQUEST, PHASES, RUN_SLOW_SPEC, RUN_SPEC, run_perf
from workbench.bench.console import progress, table_lines

GOOD = """\
adds a product
------------------------------------------
GIVEN:
  ProductAdded uid:"00000000-0000-0000-0000-000000000001" sku:"cola"
WHEN:
  AddProductsReq skus:"fanta"
THEN:
  AddProductsResp uids:"00000000-0000-0000-0000-000000000002"
EVENTS:
  ProductAdded uid:"00000000-0000-0000-0000-000000000002" sku:"fanta"
"""

WRONG = """\
expects the wrong id
------------------------------------------
GIVEN:
WHEN:
  AddProductsReq skus:"a"
THEN:
  AddProductsResp uids:"00000000-0000-0000-0000-000000000002"
"""


@pytest.fixture
def good_spec(tmp_path):
    path = tmp_path / "good.spec"
    path.write_text(GOOD)
    return path


def test_two_workers_time_the_passing_specs_and_report_samples(project, good_spec):
    samples = []
    result = run_perf(project, seconds=0.4, cores=2, paths=[good_spec], on_sample=samples.append)
    assert result.ok, result.failures
    assert [row.operation for row in result.rows] == [RUN_SPEC, APPLY_EVENT, HANDLE_REQUEST]
    run_spec, apply_event, handle_request = result.rows
    assert run_spec.workers == 2 and apply_event.workers == 1 and handle_request.workers == 1
    assert run_spec.total > 100 and run_spec.per_second > 1000
    assert all(row.per_cpu_second >= row.per_second * 0.9 for row in result.rows)  # CPU time never exceeds wall time
    assert apply_event.total > 100 and handle_request.total > 100  # one given event, one request per spec
    assert result.specs == 1
    assert samples and {sample.phase for sample in samples} <= set(PHASES)
    assert samples[0].phase == RUN_SPEC and samples[0].specs_per_second > 0
    assert [s.elapsed for s in samples] == sorted(s.elapsed for s in samples)
    assert all(0 <= s.fraction <= 1 for s in samples)


def test_a_failing_spec_is_reported_and_nothing_is_timed(project, good_spec, tmp_path):
    wrong = tmp_path / "wrong.spec"
    wrong.write_text(WRONG)
    result = run_perf(project, seconds=0.2, cores=2, paths=[good_spec, wrong])
    assert not result.ok and result.rows == []
    assert len(result.failures) == 1  # once, not once per worker
    assert f"{wrong}:1: expects the wrong id: fail" in result.failures[0]
    assert 'Response.uids[0]: expected "UID(2)", got "UID(1)"' in result.failures[0]


def test_a_malformed_spec_file_is_named_with_its_line(project, tmp_path):
    bad = tmp_path / "bad.spec"
    bad.write_text("a spec name\nno dashes here\n")
    result = run_perf(project, seconds=0.2, cores=1, paths=[bad])
    assert not result.ok
    assert result.unreadable and result.unreadable[0].startswith(f"{bad}:2:")


def bf(*args):
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_prints_the_table_and_the_caveat(good_spec):
    result = bf("perf", "--sec", "0.3", "--cores", "1", str(good_spec))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["operation", "workers", "total", "ops/s", "kHz", "time/op", "ops/CPU", "s"]
    assert [line.split("  ")[0] for line in lines[1:4]] == [RUN_SPEC, APPLY_EVENT, HANDLE_REQUEST]
    assert lines[-1].startswith("caveat: ")
    assert "\x1b[" not in result.stdout + result.stderr  # a pipe gets plain text: no colours, no bar


def test_cli_exits_1_on_a_failing_spec(tmp_path):
    wrong = tmp_path / "wrong.spec"
    wrong.write_text(WRONG)
    result = bf("perf", "--sec", "0.2", str(wrong))
    assert result.returncode == 1
    assert "nothing measured" in result.stderr and result.stdout == ""


def test_table_aligns_columns_and_groups_thousands():
    lines = table_lines(("op", "total", "rate"), [("run spec", 12345, 0.5), ("x", 7, 1234.4)])
    assert lines == [
        "op         total   rate",
        "run spec  12,345   0.50",
        "x              7  1,234",
    ]


def test_progress_draws_on_a_terminal_only_with_time_left_and_rate():
    import io

    from rich.console import Console

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Console(file=Terminal(), force_terminal=True, width=100, color_system="standard")
    pipe = Console(file=io.StringIO(), width=100)
    for out in (terminal, pipe):
        with progress("replay", total=1000, unit="events", out=out) as update:
            update(500)
    drawn = terminal.file.getvalue()
    assert "replay" in drawn and "50%" in drawn and "\x1b[" in drawn  # coloured, redrawn in place
    assert pipe.file.getvalue() == ""  # a pipe gets no bar


def test_a_spec_over_a_millisecond_is_timed_apart(project, good_spec, tmp_path):
    many = " ".join(f'locs:{{name:"n{i}"}}' for i in range(1000))
    slow = tmp_path / "slow.spec"
    slow.write_text(f"a thousand places, then a duplicate\n---\nGIVEN:\nWHEN:\n  AddLocationsReq {many} locs:{{name:\"n0\"}}\n"
                    "ERROR:\n  AlreadyExists\n")
    result = run_perf(project, seconds=0.3, cores=1, paths=[good_spec, slow])
    assert result.ok, result.failures
    assert result.specs == 1 and [where for where, _ in result.slow] == [f"{slow}:1: a thousand places, then a duplicate"]
    assert [row.operation for row in result.rows] == [RUN_SPEC, RUN_SLOW_SPEC, APPLY_EVENT, HANDLE_REQUEST]
    assert result.row(RUN_SLOW_SPEC).total == 1 and result.row(RUN_SLOW_SPEC).per_second < 1000
