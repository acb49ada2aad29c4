"""`bf top` in a real terminal (tmux, 80x24) against a node under `bf stress`:
it shows the node's live figures and its tenant, sorts, and quits cleanly."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.conftest import ROOT
from workbench.bench.stress import run_stress

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: no real terminal to test in")


class _Enough(Exception):
    pass


def pane(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, found, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        screen = pane(session)
        if found(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"never showed; the terminal shows:\n{pane(session)}")


def live_rate(screen: str) -> int:
    match = re.search(r"req/s\s+\S*\s+([\d,]+)\s*\S?\s*$", screen, re.MULTILINE)
    return int(match.group(1).replace(",", "")) if match else 0


def test_bf_top_shows_a_stressed_node_live(project, small_rounds, tmp_path):
    started, done = threading.Event(), threading.Event()
    where: dict = {}

    def on_start(client):
        where["address"] = client.server.metrics_url.removeprefix("http://").removesuffix("/metrics")
        where["tenant"] = client.tenant_name
        started.set()

    def on_round(row):
        if done.is_set():
            raise _Enough()  # stops the stress run, and its server

    def stress():
        try:
            run_stress(project, rounds=400, transport="tcp", data=tmp_path / "data", seed=2, in_flight=16,
                       server_options=("--metrics", "127.0.0.1:0"), on_start=on_start, on_round=on_round)
        except _Enough:
            pass

    load = threading.Thread(target=stress)
    load.start()
    session = f"bf-top-{uuid.uuid4().hex[:8]}"
    try:
        assert started.wait(60), "the stressed node did not start"
        command = (f"BF_CONFIG_DIR={shlex.quote(str(tmp_path / 'config'))} {shlex.quote(sys.executable)} "
                   f"-m workbench.cli --project {shlex.quote(str(ROOT))} top {where['address']}; echo EXITED $?; sleep 30")
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True,
                       env={**os.environ, "TERM": "xterm-256color"})
        screen = wait_for(session, lambda s: live_rate(s) > 0 and where["tenant"] in s)
        assert "p99 ms" in screen and "fsync ms" in screen and "group" in screen
        assert f"{where['address']}  up " in screen and "cpu " in screen
        assert re.search(rf"{where['tenant']}\s+[\d,]+", screen), screen  # its row, with its rate
        subprocess.run(["tmux", "send-keys", "-t", session, "s"], check=True)
        wait_for(session, lambda s: "sorted by requests" in s, seconds=10)
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        wait_for(session, lambda s: "EXITED 0" in s, seconds=15)
    finally:
        done.set()
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        load.join(120)
