"""From saving a feature file to its specs' verdicts: `bf watch` against
pytest-watcher + pytest-testmon, in one run, on the same edit and the same specs.

    pip install -e '.[bench]' && python benchmarks/watch_latency.py [--saves N] [--feature FILE]

Both sides work in their own temporary copy of the project. The edit is a real
code change inside the feature's handler (`bench_edits = N`), so testmon's
per-function fingerprints see it too. The pytest side has one pytest test per
spec, each running that spec through the bf runner; testmon selects the tests
that executed the changed code, and pytest-watcher starts `pytest --testmon`
on each save. Both debounce a save for 10 ms. The figure for each save is the
time from writing the file to reading the last verdict line (bf) or pytest's
summary line, measured here in the driving process.
"""

from __future__ import annotations

import argparse
import ast
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

from workbench.config import Project, find_project
from workbench.core.domain import Domain
from workbench.specs.loader import load_specs

ROOT = Path(__file__).resolve().parent.parent
DEBOUNCE_SECONDS = 0.01  # bf watch's default; pytest-watcher gets the same
LINE_TIMEOUT = 60.0
# watchdog adds its inotify watches in a thread after pytest-watcher says it is waiting; a save before then is missed.
WATCHDOG_SETTLE_SECONDS = 1.0
# pytest-watcher forgets a save that lands before it has wrapped up the previous run (testmon still writing
# its data after the summary line), so the pytest side waits for its "Trigger released" debug line, and both
# tools get the same pause between saves.
PAUSE_SECONDS = 0.3
_EDIT_LINE = re.compile(r"^(\s*)bench_edits = \d+$", re.MULTILINE)
_PYTEST_SUMMARY = re.compile(r"(\d+) passed.* in [\d.]+s|no tests ran|\d+ failed")


class Lines:
    """A process's output lines, each with the moment it was read."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self._lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self._seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self._lines.put((time.perf_counter(), line.rstrip("\n")))
        self._lines.put((time.perf_counter(), None))

    def next(self) -> tuple[float, str]:
        try:
            at, line = self._lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            raise SystemExit(f"{self._name()} said nothing for {LINE_TIMEOUT:.0f} s; its last lines:\n"
                             + "\n".join(self._seen[-20:])) from None
        if line is None:
            raise SystemExit(f"{self._name()} ended early (exit code {self.process.wait()})")
        self._seen.append(line)
        return at, line

    def _name(self) -> str:
        return " ".join(map(str, self.process.args[:4]))


def copy_project(destination: Path) -> Project:
    for name in ("domain", "specs"):
        shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", destination)
    return find_project(destination)


def edit_feature(path: Path, number: int) -> None:
    """Set `bench_edits = number` as the first statement of the feature's handler."""
    text = path.read_text()
    if _EDIT_LINE.search(text):
        text = _EDIT_LINE.sub(lambda m: f"{m.group(1)}bench_edits = {number}", text)
    else:
        handler = _handler_of(text)
        lines = text.splitlines(keepends=True)
        first = handler.body[0]
        lines.insert(first.lineno - 1, " " * first.col_offset + f"bench_edits = {number}\n")
        text = "".join(lines)
    path.write_text(text)


def _handler_of(text: str) -> ast.FunctionDef:
    tree = ast.parse(text)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "HANDLERS" for t in node.targets):
            return functions[node.value.values[0].id]
    raise SystemExit("the feature file declares no HANDLERS")


# -- bf watch ---------------------------------------------------------------------------


def measure_bf_watch(project: Project, feature: Path, saves: int) -> tuple[list[float], list[float], int]:
    """Seconds from each save to the last verdict; the engine's own figures; specs per save."""
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "--project", str(project.root), "watch", "--json"],
        cwd=project.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = Lines(process)
    try:
        _bf_run(lines)  # the first run: every spec, which also teaches the map what each touches
        seen, reported, counts = [], [], set()
        for number in range(1, saves + 1):
            time.sleep(PAUSE_SECONDS)
            saved = time.perf_counter()
            edit_feature(feature, number)
            last_verdict, done, verdicts = _bf_run(lines)
            seen.append(last_verdict - saved)
            reported.append(done["latency_ms"] / 1000)
            counts.add(len(verdicts))
            bad = [v for v in verdicts if v["verdict"]["status"] != "pass"]
            if bad:
                raise SystemExit(f"bf watch: a spec failed after a harmless edit: {bad[0]}")
        return seen, reported, max(counts)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(LINE_TIMEOUT)


def _bf_run(lines: Lines) -> tuple[float, dict, list[dict]]:
    verdicts, last_verdict = [], 0.0
    while True:
        at, line = lines.next()
        event = json.loads(line)
        if event["event"] == "verdict":
            verdicts.append(event)
            last_verdict = at
        elif event["event"] == "done":
            return last_verdict or at, event, verdicts


# -- pytest-watcher + pytest-testmon ------------------------------------------------------


def write_pytest_specs(project: Project) -> int:
    """One pytest test per spec, each running that spec through the bf runner."""
    domain = Domain.load(find_project(ROOT))
    specs = load_specs([project.specs_dir], domain.messages).specs
    tests = []
    for spec in specs:
        file = spec.path.relative_to(project.root).as_posix()
        name = re.sub(r"\W", "_", file.removeprefix("specs/").removesuffix(".spec"))
        tests.append(f"\n\ndef test_{name}_{spec.number}():\n    check({file!r}, {spec.number})\n")
    (project.root / "tests").mkdir(exist_ok=True)
    (project.root / "tests" / "test_specs.py").write_text(_PYTEST_HEADER + "".join(tests))
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


def measure_pytest_watcher(project: Project, feature: Path, saves: int) -> tuple[list[float], int]:
    # Same-size edits within one second would otherwise run stale bytecode (bf's worker never trusts .pyc files).
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "PTW_DEBUG": "1"}
    pytest_args = ["-q", "--testmon"]
    subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=project.root, env=env,
                   stdout=subprocess.DEVNULL, check=True)  # the first run: every test, recording testmon's data
    process = subprocess.Popen(
        # watchdog 7 matches patterns against the whole path: its default `*.py` would miss every nested file.
        [sys.executable, "-m", "pytest_watcher", "--delay", str(DEBOUNCE_SECONDS), "--patterns", "**/*.py",
         "--runner", "pytest", str(project.root), *pytest_args],
        cwd=project.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    lines = Lines(process)
    try:
        while "Waiting for file changes" not in lines.next()[1]:
            pass
        time.sleep(WATCHDOG_SETTLE_SECONDS)
        seen, counts = [], set()
        for number in range(1, saves + 1):
            time.sleep(PAUSE_SECONDS)
            saved = time.perf_counter()
            edit_feature(feature, number)
            while not (match := _PYTEST_SUMMARY.search(line := lines.next()[1])):
                pass
            at = time.perf_counter()
            if "failed" in line or match.group(1) is None:
                raise SystemExit(f"pytest-watcher: {line}")
            seen.append(at - saved)
            counts.add(int(match.group(1)))
            while "Trigger released" not in lines.next()[1]:
                pass
        return seen, max(counts)
    finally:
        process.terminate()
        process.wait(LINE_TIMEOUT)


# -- the report ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20, help="saves measured per tool (default 20)")
    parser.add_argument("--feature", default="domain/features/locations/move.py", help="the feature file to edit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bf-watch-bench-") as folder:
        bf_project = copy_project(Path(folder) / "bf")
        pytest_project = copy_project(Path(folder) / "pytest")
        total = write_pytest_specs(pytest_project)
        bf_seen, bf_reported, bf_specs = measure_bf_watch(bf_project, bf_project.root / args.feature, args.saves)
        ptw_seen, ptw_tests = measure_pytest_watcher(pytest_project, pytest_project.root / args.feature, args.saves)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"save {args.feature} -> verdicts of the specs it affects; {args.saves} saves each; "
          f"{total} specs in the project; {os.cpu_count()} cores, load average {load}")
    print(f"{'':34}{'median':>9}{'p90':>9}{'min':>9}{'max':>9}   specs rerun per save")
    _row("bf watch --json", bf_seen, bf_specs)
    _row("  (engine's own: file mtime->done)", bf_reported, bf_specs)
    _row("pytest-watcher + pytest-testmon", ptw_seen, ptw_tests)
    ratio = statistics.median(ptw_seen) / statistics.median(bf_seen)
    print(f"ratio of medians: bf watch is {ratio:.1f}x faster")


def _row(label: str, seconds: list[float], specs: int) -> None:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    cells = [statistics.median(ordered), p90, ordered[0], ordered[-1]]
    print(f"{label:34}" + "".join(f"{c * 1000:>6.0f} ms" for c in cells) + f"   {specs}")


if __name__ == "__main__":
    main()
