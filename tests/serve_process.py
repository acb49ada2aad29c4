"""`bf serve` as a real subprocess on a unix socket, for tests: start, call, kill, restart."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc

from tests.conftest import ROOT

START_SECONDS = 30


class ServeProcess:
    def __init__(self, data: Path, extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 umask: int | None = None, python_code: str | None = None):
        """`env`: more environment variables; `umask`: the one it starts with; `python_code`: run
        `python -c CODE serve ...` instead of `python -m workbench.cli serve ...` (to change the server
        before it starts)."""
        self.data = Path(data)
        self.extra_args, self.umask = tuple(extra_args), umask
        self.env = {**os.environ, **(env or {})}
        self.launcher = ["-c", python_code] if python_code else ["-m", "workbench.cli"]
        # A unix socket path must stay under ~100 bytes: pytest's tmp_path can be longer.
        self._socket_dir = Path(tempfile.mkdtemp(prefix="bf-", dir="/tmp"))
        self.address = f"unix:{self._socket_dir / 'bf.sock'}"
        self.process: subprocess.Popen | None = None
        self.banner = ""

    def start(self) -> "ServeProcess":
        # stderr goes to a file: a pipe nobody reads could fill and stall the server.
        with open(self.stderr_path, "a") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, *self.launcher, "serve", "--listen", self.address, "--data", str(self.data),
                 *self.extra_args],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, env=self.env,
                preexec_fn=None if self.umask is None else lambda: os.umask(self.umask))
        ready, _, _ = select.select([self.process.stdout], [], [], START_SECONDS)
        self.banner = self.process.stdout.readline() if ready else ""
        if "listening on" not in self.banner:
            self.process.kill()
            raise RuntimeError(f"bf serve did not start: {self.banner}{self.stderr()}")
        return self

    @property
    def stderr_path(self) -> Path:
        return self._socket_dir / "stderr.txt"

    def stderr(self) -> str:
        return self.stderr_path.read_text() if self.stderr_path.exists() else ""

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.address)

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close_pipes()

    def stop(self, signal_number: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal (SIGTERM) and wait: the exit code and what it printed after the banner."""
        self.process.send_signal(signal_number)
        out, _ = self.process.communicate(timeout=20)
        return self.process.returncode, out

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill9()
        shutil.rmtree(self._socket_dir, ignore_errors=True)

    def _close_pipes(self) -> None:
        self.process.stdout.close()

    def __enter__(self) -> "ServeProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
