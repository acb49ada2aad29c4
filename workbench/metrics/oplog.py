"""The operator's log of `bf serve`: one line per event worth attention, on stderr.

Events: the node started and stopped, a tenant opened or was evicted, a
maintenance operation ran, a request was slow, and every REJECTION_EVERY
seconds the refusals counted by status code since the last such line (never
a line per refusal: a client in a loop would drown the log). Errors the
server logs itself (a handler that raised) come through the same handler.

Plain text (`2026-12-02T15:04:05.123Z info tenant_opened tenant=acme ...`) or
one JSON object a line with `--log-format json`. Secrets are never fields.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import Counter
from datetime import datetime, timezone
from typing import Callable, TextIO

from workbench.core.observer import Observer

LOGGER = "bf.serve"
FORMATS = ("text", "json")
REJECTION_EVERY = 10.0
_LOG = logging.getLogger(LOGGER)


def event(name: str, level: int = logging.INFO, **fields) -> None:
    """Log one event with its fields."""
    _LOG.log(level, name, extra={"fields": fields})


class _Formatter(logging.Formatter):
    def __init__(self, as_json: bool):
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        stamp = stamp.replace("+00:00", "Z")
        fields = getattr(record, "fields", None)  # None: a plain record from elsewhere (a library, an error)
        message = record.getMessage()
        failure = self.formatException(record.exc_info) if record.exc_info else None
        if self.as_json:
            if fields is None:
                line = {"time": stamp, "level": record.levelname.lower(), "event": "message", "message": message,
                        "logger": record.name}
            else:
                line = {"time": stamp, "level": record.levelname.lower(), "event": message, **fields}
            if failure:
                line["traceback"] = failure
            return json.dumps(line, default=str)
        text = " ".join([stamp, record.levelname.lower(), message,
                         *(f"{k}={_plain(v)}" for k, v in (fields or {}).items())])
        return f"{text}\n{failure}" if failure else text


def _plain(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    text = str(value)
    return json.dumps(text) if (" " in text or not text) else text


def configure(log_format: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """Send every log record of the process to `stream` (stderr) in `log_format`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_Formatter(log_format == "json"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


class LogObserver(Observer):
    """The observer's hooks an operator reads about."""

    def tenant_opened(self, tenant: str, seconds: float, caught_up: int) -> None:
        event("tenant_opened", tenant=tenant, seconds=seconds, caught_up_events=caught_up)

    def tenant_evicted(self, tenant: str) -> None:
        event("tenant_evicted", tenant=tenant)

    def ownership_changed(self, tenant: str, change: str) -> None:
        event("ownership", logging.WARNING if change == "lost" else logging.INFO, tenant=tenant, change=change)

    def maintenance(self, operation: str, tenant: str, seconds: float, figures: dict[str, float]) -> None:
        failed = "failed" in figures
        event(operation, logging.WARNING if failed else logging.INFO, tenant=tenant, seconds=seconds,
              outcome="failed" if failed else "ok", **{k: v for k, v in figures.items() if k != "failed"})


class RejectionSummary:
    """Every `every` seconds, one line of the calls refused since the last line, by code."""

    def __init__(self, by_code: Callable[[], Counter[str]], every: float = REJECTION_EVERY):
        self.by_code = by_code
        self.every = every
        self._last: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bf-rejections", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.report()

    def report(self) -> None:
        now = self.by_code()
        new = {code: count - self._last[code] for code, count in sorted(now.items())
               if code != "OK" and count > self._last[code]}
        self._last = now
        if new:
            event("rejections", logging.WARNING, seconds=self.every, total=sum(new.values()), by_code=new)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.report()


def slow_request(method: str, tenant: str, code: str, seconds: float) -> None:
    event("slow_request", logging.WARNING, method=method, tenant=tenant, code=code, ms=round(seconds * 1000, 1))
