"""What time travel costs: every project spec run by `bf test`'s runner, then step
by step (a snapshot of the state after each step, and the rows each step
changed), then step by step with a SQLite file per step; and the wall time of
`bf explore SPEC --steps --json` in a fresh process (what the app waits for).

    python benchmarks/explore_steps.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.config import find_project  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402
from workbench.explore.steps import explore_spec  # noqa: E402
from workbench.specs.loader import load_specs  # noqa: E402
from workbench.specs.runner import run_spec  # noqa: E402
from workbench.specs.sandbox import SpecSandbox  # noqa: E402


def per_spec_ms(specs, run) -> float:
    started = time.perf_counter()
    for number, spec in enumerate(specs):
        run(number, spec)
    return (time.perf_counter() - started) * 1000 / len(specs)


def main() -> None:
    project = find_project(ROOT)
    domain = Domain.load(project)
    specs = load_specs([project.specs_dir], domain.messages).specs
    sandbox = SpecSandbox(domain)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        runner = per_spec_ms(specs, lambda n, spec: run_spec(spec, sandbox))
        stepped = per_spec_ms(specs, lambda n, spec: explore_spec(domain, spec, out / f"{n}.db"))
        with_files = per_spec_ms(specs, lambda n, spec: explore_spec(domain, spec, out / f"f{n}.db", out / f"f{n}"))
    steps = sum(len(spec.given) + 1 for spec in specs)
    command = [sys.executable, "-m", "workbench.cli", "--project", str(ROOT), "explore", "specs/products/add.spec#2",
               "--steps", "--json"]
    walls = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        walls.append((time.perf_counter() - started) * 1000)
    print(f"{len(specs)} specs, {steps} steps ({steps / len(specs):.1f} a spec)")
    print(f"{'':42}{'ms/spec':>9}{'ratio':>8}")
    print(f"{'bf test runner (rolled back)':42}{runner:9.2f}{1:8.1f}")
    print(f"{'step by step, rows diffed':42}{stepped:9.2f}{stepped / runner:8.1f}")
    print(f"{'step by step, a SQLite file per step':42}{with_files:9.2f}{with_files / runner:8.1f}")
    print(f"{'bf explore --steps --json, fresh process':42}{statistics.median(walls):9.0f}  (median of 5, ms)")


if __name__ == "__main__":
    main()
