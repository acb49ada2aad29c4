"""The app in a real terminal (tmux): `bf ui` starts, the real watch engine
fills the tree with verdicts, and `q` quits cleanly with exit code 0."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: no real terminal to test in")


def pane(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        screen = pane(session)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never showed; the terminal shows:\n{pane(session)}")


def start_bf_ui(shop, tmp_path, width: int, height: int) -> str:
    """`bf ui` on the shop project in a new tmux session of this size; the session's name."""
    session = f"bf-test-{uuid.uuid4().hex[:8]}"
    command = (f"BF_CONFIG_DIR={shlex.quote(str(tmp_path / 'config'))} {shlex.quote(sys.executable)} -m workbench.cli "
               f"ui {shlex.quote(str(shop.root))}; echo EXITED $?; sleep 30")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command],
                   check=True, env={**os.environ, "TERM": "xterm-256color"})
    return session


def test_bf_ui_starts_shows_the_tree_and_quits_cleanly(shop, tmp_path):
    session = start_bf_ui(shop, tmp_path, 120, 36)
    try:
        screen = wait_for(session, "products 2✔ 2✘")
        assert "locations 1✔ 1✘" in screen
        assert "3 passed, 3 failed" in screen, "the header line shows the real engine's run"
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        wait_for(session, "EXITED 0", seconds=15)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_at_80x24_every_key_fits_and_explore_travels_and_cleans_up(shop, tmp_path):
    session = start_bf_ui(shop, tmp_path, 80, 24)

    def keys(*names: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", session, *names], check=True)

    try:
        screen = wait_for(session, "products 2✔ 2✘")
        footer = screen.splitlines()[-1]
        for hint in ("/ Filter", "e Edit", "x Explore", "p Perf", "f1 Help", "^p Palette"):
            assert hint in footer, f"{hint!r} is not in the footer at 80 columns: {footer!r}"
        keys("/")
        keys("-l", "duplicate sku")
        keys("Enter")
        wait_for(session, "✔ a duplicate sku is reje…")  # cut to the pane, with an ellipsis
        keys("Down", "Down")
        time.sleep(0.5)
        keys("x")
        screen = wait_for(session, "WHEN    AddProductsReq rejected", seconds=60)
        assert "✔ passed  a duplicate sku is rejected" in screen
        assert "the request was rejected: AlreadyExists (sku already exists: cola)" in screen
        assert "GIVEN 1 ProductAdded" in screen
        assert (shop.root / ".bf" / "explore" / "specs-products-add-spec-4.db").exists()
        keys("Escape")
        wait_for(session, "products 1✔")
        keys("q")
        wait_for(session, "EXITED 0", seconds=15)
        assert not (shop.root / ".bf" / "explore" / "specs-products-add-spec-4.db").exists(), "removed on leaving"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
