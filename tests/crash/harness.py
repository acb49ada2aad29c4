"""Crash-point testing of the maintenance operations, in the style of SQLite's
and FoundationDB's (issue 12).

Every durable step of compaction, key rotation, migration, adoption and a
tenant's creation calls `crash_point("NAME")` (workbench/core/crash_points.py).
The harness finds every such call in the code, runs each scenario once to learn
which points it passes (and how often), then runs it again once per point
(NAME@N), the process killed there with SIGKILL; scenarios.py says what each
run checks. It ends with `N crash points, L lost, D doubly served`, and fails
when a point of the code was never reached by any scenario.

    python -m tests.crash.harness [--passes first|first-last|all] [--random N]
    tests/unit/test_tenancy_crash_points.py  CI: each point of the code once
    benchmarks/crash_points.py               the soak: every pass, and random kills
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from tests.crash.scenarios import SCENARIOS, Lab, Outcome, Plan

POINT_CALL = re.compile(r'crash_point\("([^"]+)"\)')


def declared_points() -> set[str]:
    """Every crash point named in the code."""
    return {name for path in (ROOT / "workbench").rglob("*.py") for name in POINT_CALL.findall(path.read_text())}


@dataclass
class Report:
    outcomes: list[Outcome]
    uncovered: set[str]
    seconds: float

    @property
    def lost(self) -> int:
        return sum(o.lost for o in self.outcomes)

    @property
    def doubly_served(self) -> int:
        return sum(o.doubly_served for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        points = sum(1 for o in self.outcomes if not o.where.startswith("random"))
        randoms = len(self.outcomes) - points
        extra = f" (counting {randoms} random kills too)" if randoms else ""
        return f"{points} crash points, {self.lost} lost, {self.doubly_served} doubly served{extra}"


def run_one(lab: Lab, scenario: str, plan: Plan) -> Outcome:
    where = plan.crash_at and f"{plan.victim}:{plan.crash_at}" or (
        f"random kill of {plan.victim} after {plan.kill_after * 1000:.0f} ms" if plan.kill_after is not None else "dry run")
    outcome = Outcome(scenario, where)
    began = time.perf_counter()
    SCENARIOS[scenario][0](lab, plan, outcome)
    outcome.seconds = time.perf_counter() - began
    if plan.kill_after is not None:
        outcome.died_there = True  # a random kill may land anywhere, even after the operation
        outcome.where += " (in it)" if plan.kill_after <= outcome.operation_seconds else " (after it)"
    if plan.crash_at:  # it died where it was asked to, not elsewhere
        passed = outcome.reached.get(plan.victim, [])
        asked = plan.crash_at if "@" in plan.crash_at else plan.crash_at + "@1"
        if asked not in passed:
            outcome.died_there = False
            outcome.notes.append(f"{plan.victim} never reached {asked} (it passed {', '.join(passed[-4:]) or 'none'})")
    return outcome


def points_to_kill(reached: list[str], passes_wanted: str) -> list[str]:
    """The passes of each point to kill at: "first", "first-last" or "all"."""
    passes: dict[str, int] = {}
    for entry in reached:
        name, _, count = entry.rpartition("@")
        passes[name] = max(passes.get(name, 0), int(count))
    chosen = []
    for name, count in passes.items():
        wanted = {"first": [1], "first-last": sorted({1, count}), "all": range(1, count + 1)}[passes_wanted]
        chosen += [f"{name}@{n}" for n in wanted]
    return chosen


def learn(lab: Lab, scenario: str) -> tuple[dict[str, list[str]], float]:
    """Which points each node of the scenario passes (without the points a scenario's own forced kill
    belongs to), and how long the operation took."""
    dry = run_one(lab, scenario, Plan())
    seconds = dry.operation_seconds
    if scenario == "call-off":  # what b passes up to its forced death is the migration scenario's
        dry.reached["b"] = [p for p in dry.reached["b"] if p.startswith("adoption.abandoned")]
        dry.reached["a"] = [p for p in dry.reached["a"] if p.split("@")[0] in
                            ("migration.finish-refused", "migration.target-abandoned", "migration.unsealed")]
    return dry.reached, seconds


def run(domain, passes: str = "first-last", random_kills: int = 0, seed: int = 0, only: list[str] | None = None,
        jobs: int = 2, progress=print) -> Report:
    """`passes="first"`: each point of the code once (in the first scenario that passes it)."""
    began = time.perf_counter()
    rng = random.Random(seed)
    scenarios = [name for name in SCENARIOS if not only or name in only]
    with tempfile.TemporaryDirectory(prefix="bf-crash-") as root, ThreadPoolExecutor(jobs) as workers:
        lab = Lab(domain, Path(root))
        learned = dict(zip(scenarios, workers.map(lambda name: learn(lab, name), scenarios)))
        plans, covered = [], set()
        for scenario in scenarios:
            reached, seconds = learned[scenario]
            for victim in SCENARIOS[scenario][1]:
                for point in points_to_kill(reached.get(victim, []), passes):
                    if passes == "first" and point.split("@")[0] in covered:
                        continue
                    covered.add(point.split("@")[0])
                    plans.append((scenario, Plan(victim, point)))
            if scenario != "call-off":  # its first kill is forced: a random one on top would say little
                plans += [(scenario, Plan(rng.choice(SCENARIOS[scenario][1]), kill_after=rng.uniform(0, 1.2 * seconds)))
                          for _ in range(random_kills)]

        def run_plan(plan: tuple[str, Plan]) -> Outcome:
            outcome = run_one(lab, *plan)
            progress(_line(outcome))
            return outcome
        outcomes = list(workers.map(run_plan, plans))
    uncovered = set() if only else declared_points() - covered
    return Report(outcomes, uncovered, time.perf_counter() - began)


def _line(outcome: Outcome) -> str:
    verdict = "ok" if outcome.ok else "FAILED"
    notes = f"  ({'; '.join(outcome.notes)})" if outcome.notes else ""
    return f"{outcome.scenario:11} {outcome.where:45} {outcome.seconds:5.1f} s  {outcome.path:24} {verdict}{notes}"


def add_arguments(parser: argparse.ArgumentParser, passes: str, random_kills: int) -> None:
    parser.add_argument("--passes", choices=("first", "first-last", "all"), default=passes,
                        help="which passes of each point to kill at: first (each point of the code once),"
                             f" first-last, or all (default {passes})")
    parser.add_argument("--random", type=int, default=random_kills, metavar="N",
                        help=f"random SIGKILLs per operation too (default {random_kills})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), help="only this operation (repeatable)")


def run_from(args: argparse.Namespace) -> Report:
    from workbench.config import find_project
    from workbench.core.domain import Domain

    return run(Domain.load(find_project(ROOT)), args.passes, args.random, args.seed, args.only, args.jobs)


def conclude(report: Report) -> int:
    """Print the last lines; the exit status: 1 when a run failed or a point of the code was never reached."""
    if report.uncovered:
        print(f"crash points no operation reaches: {', '.join(sorted(report.uncovered))}")
    print(f"{report.summary()}; {len(report.failed)} runs failed; {report.seconds:.0f} s in all")
    return 1 if report.failed or report.uncovered else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kill the maintenance operations at every durable step")
    add_arguments(parser, "first-last", 0)
    return conclude(run_from(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
