"""`bf cluster up / status / restart / down` as a user types them: real processes, left running between commands."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")


def bf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_cluster_up_status_down(tmp_path):
    folder = tmp_path / "cluster"
    up = bf("cluster", "up", "--nodes", "1", "--data", str(folder))
    try:
        assert up.returncode == 0, up.stderr
        state = json.loads((folder / "cluster.json").read_text())
        node = state["nodes"][0]["address"]
        assert f"node n1: {node}" in up.stdout and "NATS (JetStream, R3): nats://127.0.0.1:" in up.stdout
        assert oct((folder / "cluster.json").stat().st_mode & 0o777) == "0o600"
        # the logs and configs too (they were 0644): every file 0600, every folder 0700, whatever the umask
        modes = {path.relative_to(folder): path.stat().st_mode & 0o777 for path in folder.rglob("*")}
        assert {path: oct(mode) for path, mode in modes.items() if mode not in (0o600, 0o700)} == {}
        again = bf("cluster", "up", "--data", str(folder))
        assert again.returncode == 1 and "already runs" in again.stderr
        assert bf("test", "--target", node, "specs/products").returncode == 0
        status = bf("cluster", "status", "--data", str(folder))
        assert status.returncode == 0, status.stderr
        assert status.stdout.count(" up") == 4  # 3 NATS servers and the node
        assert "default" in status.stdout.split("tenant")[-1]
        restart = bf("cluster", "restart", "--data", str(folder))
        assert restart.returncode == 0, restart.stderr
        assert "restarted 4 processes" in restart.stdout and "node n1: serving again after" in restart.stdout
        restarted = json.loads((folder / "cluster.json").read_text())
        pids = [entry["pid"] for entry in state["nats"] + state["nodes"]]
        new_pids = [entry["pid"] for entry in restarted["nats"] + restarted["nodes"]]
        assert not set(pids) & set(new_pids) and all(os.path.exists(f"/proc/{pid}") for pid in new_pids)
        assert bf("test", "--target", node, "specs/products").returncode == 0  # same address, served again
    finally:
        down = bf("cluster", "down", "--data", str(folder))
    assert down.returncode == 0 and down.stdout.count("stopped") == 4
    pids += new_pids
    assert not [pid for pid in pids if os.path.exists(f"/proc/{pid}") and _not_zombie(pid)]
    assert not (folder / "cluster.json").exists()
    assert bf("cluster", "status", "--data", str(folder)).returncode == 1
    nothing = bf("cluster", "restart", "--data", str(folder))
    assert nothing.returncode == 1 and "no cluster runs from" in nothing.stderr
    for entry in state["nats"] + state["nodes"]:  # cluster.json as a bf before `restart` wrote it
        entry.pop("argv")
    (folder / "cluster.json").write_text(json.dumps(state))
    older = bf("cluster", "restart", "--data", str(folder))
    assert older.returncode == 1 and "started by an older bf" in older.stderr and "Traceback" not in older.stderr


def _not_zombie(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    except OSError:
        return False
