"""Replay: how fast a tenant's state is rebuilt from a long event log.

    python benchmarks/replay_rate.py [--events N] [--log DIR]

Builds a log of N events (default 1,000,000) of the stress business (see
workbench/bench/replay.py: run in memory, appended a phase at a time), unless
--log names a folder that already holds one, then replays it the way
`bf replay` does (the state deleted, the tenant opened) and prints the rate
beside the target, 1,000,000 events in 60 s, with the CPU time the replay
took (on a shared machine, wall time is CPU time plus waiting for a core).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.bench.replay import build_log, replay  # noqa: E402
from workbench.bench.console import table_lines  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402
from workbench.service.tenant import LOG_FILE  # noqa: E402

TARGET_EVENTS, TARGET_SECONDS = 1_000_000, 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=TARGET_EVENTS)
    parser.add_argument("--log", type=Path, help="a tenant folder to reuse (built there when it has no log yet)")
    args = parser.parse_args()
    project = find_project(ROOT)
    folder = args.log or Path(tempfile.mkdtemp(prefix="bf-replay-")) / "tenant"
    try:
        if not (folder / LOG_FILE).exists():
            started = time.perf_counter()
            written = build_log(project, folder, args.events)
            print(f"built a log of {written:,} events in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        domain = Domain.load(project)
        cpu_started = time.process_time()
        replayed = replay(domain, folder)
        cpu_seconds = time.process_time() - cpu_started
        state_mb = (folder / "state.db").stat().st_size / 1e6
        log_mb = (folder / LOG_FILE).stat().st_size / 1e6
        target_rate = TARGET_EVENTS / TARGET_SECONDS
        print("\n".join(table_lines(
            ("replay", "events", "wall s", "CPU s", "events/s", "log MB", "state MB", "vs target rate"),
            [("this machine", replayed.events, replayed.seconds, cpu_seconds, replayed.per_second, log_mb, state_mb,
              f"{replayed.per_second / target_rate:.2f}x"),
             ("target", TARGET_EVENTS, TARGET_SECONDS, "", target_rate, "", "", "1.00x")])))
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: "
              "wall time over CPU time is the share of a core this process got")
    finally:
        if args.log is None:
            shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
