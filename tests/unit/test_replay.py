"""Replay: the state rebuilt from the log equals the state the requests built."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from workbench.bench.replay import NoLog, build_log, replay
from workbench.bench.stress import run_stress
from workbench.core.state_db import bulk_writes, open_state
from workbench.service.tenant import STATE_FILE


def state_rows(folder):
    db = open_state("", folder / STATE_FILE)
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    rows = {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall()) for table in tables}
    db.close()
    return rows


def test_replay_rebuilds_the_state_the_requests_built(project, domain, small_rounds, tmp_path):
    run_stress(project, rounds=2, transport="inproc", data=tmp_path, seed=5)
    folder = tmp_path / "tenants" / "stress-5-1"
    before = state_rows(folder)
    progress = []
    replayed = replay(domain, folder, lambda done, total: progress.append((done, total)))
    assert replayed.events == before["bf_projection"][0][1] > 0
    assert progress[-1] == (replayed.events, replayed.events)
    assert state_rows(folder) == before
    assert len(before["locations"]) == 1 + 2 * 31


def test_build_log_writes_events_that_replay(project, domain, small_rounds, tmp_path):
    written = build_log(project, tmp_path / "t", events=500, seed=2)
    assert written >= 500
    replayed = replay(domain, tmp_path / "t")
    assert replayed.events == written and replayed.per_second > 0
    assert len(state_rows(tmp_path / "t")["products"]) % 60 == 0


def test_replay_of_a_folder_without_a_log_says_so(domain, tmp_path):
    with pytest.raises(NoLog, match="no tenant here"):
        replay(domain, tmp_path / "nothing")


def test_bulk_writes_restores_the_settings(tmp_path):
    db = open_state("CREATE TABLE t(x);", tmp_path / "s.db")
    before = [db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint")]
    with bulk_writes(db):
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        db.execute("INSERT INTO t VALUES (1)")
    assert [db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint")] == before
    assert (tmp_path / "s.db-wal").stat().st_size == 0  # checkpointed at the end


def bf(*args):
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_replays_a_tenant_and_names_a_missing_one(project, small_rounds, tmp_path):
    build_log(project, tmp_path / "tenants" / "shop", events=200)
    result = bf("replay", "shop", "--data", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("replayed ") and " events of tenant shop in " in result.stdout
    missing = bf("replay", "nobody", "--data", str(tmp_path))
    assert missing.returncode == 2 and "no tenant here" in missing.stderr
    bad = bf("replay", "../etc", "--data", str(tmp_path))
    assert bad.returncode == 2 and "bad tenant name" in bad.stderr
