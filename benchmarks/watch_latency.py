"""Save -> verdicts with `bf watch`, for four kinds of edit, and the specs each
selects beside pytest-testmon's selection for the same edits, in one run.

    pip install -e '.[bench]' && python benchmarks/watch_latency.py [--saves N]

Both sides work in their own temporary copy of the project, framework
(`workbench/`) included. The edits are harmless code changes (every spec stays
green): a comment in a spec file (`specs/locations/move.spec`), a statement in
a feature's handler (`domain/features/locations/move.py`), in a shared module's
function (`domain/totals.py`, `available`), and in the framework
(`workbench/core/transaction.py`, `Transaction.apply`).

bf: `bf watch --json` runs in the background; each save's figure is the time
from writing the file to reading its last verdict line, measured here.
pytest-testmon: one pytest test per spec (each runs that spec through the bf
runner); after each edit, `pytest --testmon` runs what testmon selects (what
pytest-watcher would start on a save), timed from the save to its summary.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE_TIMEOUT = 120.0
PAUSE_SECONDS = 0.3
_PASSED = re.compile(r"(\d+) passed")

# (label, file, the line the statement goes after, indent)
EDITS = [
    ("spec edit (a comment)", "specs/locations/move.spec", None, ""),
    ("feature edit (handler)", "domain/features/locations/move.py", "def move_location(", "    "),
    ("shared-module edit (function)", "domain/totals.py", "def available(", "    "),
    ("framework edit (Transaction.apply)", "workbench/core/transaction.py", "    def apply(self, event: Any) -> None:", "        "),
]


def copy_project(destination: Path) -> Path:
    for name in ("domain", "specs", "workbench"):
        shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", destination)
    return destination


def edit(root: Path, file: str, after: str | None, indent: str, number: int) -> None:
    """A harmless change: `bench_edits = N` as the first statement after `after` (a def line), or a comment."""
    path = root / file
    text = path.read_text()
    if after is None:
        text = re.sub(r"^// bench edit \d+\n", "", text, flags=re.MULTILINE)
        path.write_text(f"// bench edit {number}\n" + text)
        return
    if "bench_edits = " in text:
        text = re.sub(r"bench_edits = \d+", f"bench_edits = {number}", text)
    else:
        start = text.index(after)
        body = text.index(":\n", text.index(")", start)) + 2  # past the signature (and a docstring's first line)
        docstring = re.match(r'\s*""".*?"""\n', text[body:], re.DOTALL)
        if docstring:
            body += docstring.end()
        text = text[:body] + f"{indent}bench_edits = {number}\n" + text[body:]
    path.write_text(text)


class Events:
    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), json.loads(line)))

    def until_idle(self) -> tuple[float, list[dict]]:
        """The moment of the last verdict (or of idle), and the verdicts, up to the next idle event."""
        verdicts, last = [], None
        while True:
            try:
                at, event = self.lines.get(timeout=LINE_TIMEOUT)
            except queue.Empty:
                raise SystemExit(f"bf watch said nothing for {LINE_TIMEOUT:.0f} s") from None
            if event["event"] == "verdict":
                verdicts.append(event)
                last = at
            elif event["event"] == "idle":
                return last or at, verdicts


def measure_bf(root: Path, saves: int) -> dict[str, tuple[list[float], int]]:
    process = subprocess.Popen([sys.executable, "-m", "workbench.cli", "watch", "--json"], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    events = Events(process)
    try:
        events.until_idle()  # the first run: every spec, which also teaches the map what each executes
        results = {}
        for label, file, after, indent in EDITS:
            seconds, counts = [], []
            for number in range(1, saves + 1):
                time.sleep(PAUSE_SECONDS)
                saved = time.perf_counter()
                edit(root, file, after, indent, number)
                last, verdicts = events.until_idle()
                bad = [v for v in verdicts if v["verdict"]["status"] != "pass"]
                if bad:
                    raise SystemExit(f"bf watch: a spec failed after a harmless edit ({label}): {bad[0]}")
                seconds.append(last - saved)
                counts.append(len(verdicts))
            results[label] = (seconds, max(counts))
        return results
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(LINE_TIMEOUT)


def write_pytest_specs(root: Path) -> int:
    """One pytest test per spec, each running that spec through the bf runner."""
    tests = []
    for path in sorted((root / "specs").rglob("*.spec")):
        file = path.relative_to(root).as_posix()
        count = sum(1 for line in path.read_text().splitlines() if re.fullmatch(r"-{3,}\s*", line))
        name = re.sub(r"\W", "_", file.removeprefix("specs/").removesuffix(".spec"))
        tests += [f"\n\ndef test_{name}_{n}():\n    check({file!r}, {n})\n" for n in range(1, count + 1)]
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "test_specs.py").write_text(_PYTEST_HEADER + "".join(tests))
    return len(tests)


_PYTEST_HEADER = '''"""Generated by benchmarks/watch_latency.py: one test per spec."""

import functools
from pathlib import Path

from workbench.config import find_project
from workbench.core.domain import Domain
from workbench.specs.parser import parse_spec_file
from workbench.specs.report import failure_text
from workbench.specs.runner import run_spec
from workbench.specs.sandbox import SpecSandbox

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(find_project(ROOT))
SANDBOX = SpecSandbox(DOMAIN)


@functools.cache
def specs_of(file):
    return parse_spec_file(ROOT / file, DOMAIN.messages).specs


def check(file, number):
    verdict = run_spec(specs_of(file)[number - 1], SANDBOX, DOMAIN.registry)
    assert verdict.passed, failure_text(verdict)
'''


def measure_testmon(root: Path) -> dict[str, tuple[float, int]]:
    """Per edit: seconds from the save to pytest's summary, and the tests testmon ran."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "pytest", "-q", "--testmon", "tests/test_specs.py"]
    subprocess.run(command, cwd=root, env=env, stdout=subprocess.DEVNULL, check=True)  # records testmon's data
    results = {}
    for label, file, after, indent in EDITS:
        saved = time.perf_counter()
        edit(root, file, after, indent, 1)
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        found = _PASSED.search(done.stdout)
        results[label] = (time.perf_counter() - saved, int(found.group(1)) if found else 0)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5, help="saves measured per kind of edit (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bf-watch-bench-") as folder:
        bf = measure_bf(copy_project(Path(folder) / "bf"), args.saves)
        pytest_root = copy_project(Path(folder) / "pytest")
        total = write_pytest_specs(pytest_root)
        testmon = measure_testmon(pytest_root)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{total} specs; {args.saves} saves per edit for bf watch, one for testmon; "
          f"{os.cpu_count()} cores, load average {load}")
    print(f"{'edit':36}{'bf median':>10}{'bf p90':>9}{'bf specs':>10}{'testmon run':>13}{'testmon specs':>15}")
    for label, *_ in EDITS:
        seconds, count = bf[label]
        ordered = sorted(seconds)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        pytest_seconds, pytest_count = testmon[label]
        print(f"{label:36}{statistics.median(ordered) * 1000:>7.0f} ms{p90 * 1000:>6.0f} ms{count:>10}"
              f"{pytest_seconds * 1000:>10.0f} ms{pytest_count:>15}")


if __name__ == "__main__":
    main()
