"""A real `bf serve` in a child process, for tools that measure it from outside."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from workbench.config import Project

READY_PREFIX = "bf serve: listening on "
METRICS_PREFIX = "bf serve: metrics on "
STOP_SECONDS = 10


class ServerFailed(RuntimeError):
    pass


class ServerProcess:
    """`bf serve --listen LISTEN --data DATA [OPTIONS]`, started now; `address` is where it listens."""

    def __init__(self, project: Project, listen: str, data: Path, options: tuple[str, ...] = ()):
        self.log_path = data / "serve.log"
        data.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workbench.cli", "--project", str(project.root),
             "serve", "--listen", listen, "--data", str(data), *options],
            stdout=subprocess.PIPE, stderr=self._log, text=True)
        first_line = self.process.stdout.readline()
        if not first_line.startswith(READY_PREFIX):
            self.stop()
            raise ServerFailed(f"bf serve did not start: {first_line.strip() or 'no output'}; see {self.log_path}")
        self.address = first_line[len(READY_PREFIX):].split(";")[0]
        self.metrics_url = self._metrics_url() if "--metrics" in options else None

    def _metrics_url(self) -> str:
        """The metrics' URL, from the lines `bf serve` prints after its first."""
        for line in self.process.stdout:
            if line.startswith(METRICS_PREFIX):
                return line[len(METRICS_PREFIX):].strip()
        self.stop()
        raise ServerFailed(f"bf serve did not say where its metrics are; see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM, as an operator would, then wait (and kill only if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self._log.close()
