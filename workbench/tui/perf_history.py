"""The last perf run's figures, kept in the config folder, so the next run
(in this session or a later one, after a code change) compares with it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.bench.perf import PerfResult

HISTORY_FILE = "perf-last.json"


@dataclass(frozen=True)
class PreviousRun:
    when: float  # unix seconds
    per_second: dict[str, float]  # operation -> ops/s

    def change(self, operation: str, now: float) -> float | None:
        """The relative change of `operation`'s ops/s (0.1: 10% faster), None when it was not measured."""
        before = self.per_second.get(operation)
        return now / before - 1 if before else None


def load_previous(folder: Path) -> PreviousRun | None:
    try:
        data = json.loads((folder / HISTORY_FILE).read_text())
        return PreviousRun(float(data["when"]), {str(k): float(v) for k, v in data["per_second"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no run yet, or a file we cannot use: nothing to compare with


def remember(folder: Path, result: PerfResult) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / HISTORY_FILE
    path.write_text(json.dumps({"when": time.time(),
                                "per_second": {row.operation: row.per_second for row in result.rows}}, indent=2))
    path.chmod(0o600)
