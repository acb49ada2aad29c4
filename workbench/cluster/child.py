"""A child process of a local cluster (a NATS server or a bf node): running, kill -9, stop."""

from __future__ import annotations

import signal
import subprocess

STOP_SECONDS = 15


class Child:
    process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no goodbye to the cluster."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, as an operator would; SIGKILL when it hangs."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()
