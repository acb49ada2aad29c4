"""`bf perf` without the terminal: run the specs in a loop on worker processes
and measure what the core does per second.

Three timed phases, one after the other:

- **run spec**, on every worker for `seconds`: the runner `bf test` uses
  (`run_spec` on a `SpecSandbox`), spec after spec, counting only passing specs;
- **apply event**, on worker 0 for a fifth of that: each spec's given events
  applied by the domain's appliers, then rolled back;
- **handle request**, on worker 0 for a fifth of that: each spec's request
  through `execute` on its given state, only the handler's time counted.

Every spec must pass a first, untimed run, and any verdict in the loop that is
not a pass stops its worker: perf never reports a rate for failing specs. A
spec slower than 1 ms on two runs, the second in CPU time (a Lua script
hitting its memory or instruction limit), would set the pace of every loop:
it is left out of them and reported on its own row, "run slow spec", from
its second run's CPU time.
Workers are fresh processes (spawn), so they load the code as it is on disk
and a caller's threads (the TUI) cannot deadlock them.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

from workbench.config import Project

RUN_SPEC, APPLY_EVENT, HANDLE_REQUEST = "run spec", "apply event", "handle request"
RUN_SLOW_SPEC = "run slow spec"  # over 1 ms each: timed once, apart, not in the loops
PHASES = (RUN_SPEC, APPLY_EVENT, HANDLE_REQUEST)
SAMPLES_PER_SECOND = 4
CAVEAT = (
    "caveat: in-process and in memory on the specs' small states; no gRPC, no event log on disk, "
    "no large tenant (bf stress measures those)"
)


class PerfSample(NamedTuple):
    """What `on_sample` receives a few times a second while `run_perf` runs."""

    elapsed: float  # seconds since timing began
    specs_per_second: float  # passing specs over the last interval, all workers (0 outside "run spec")
    events_per_second: float  # events applied over the last interval, given and produced
    phase: str  # one of PHASES
    fraction: float  # how much of the whole run is done, 0 to 1


@dataclass(frozen=True)
class PerfRow:
    operation: str
    workers: int
    total: int
    per_second: float  # over wall time: what the machine did
    per_cpu_second: float  # over the CPU time the workers got: what free cores would do

    @property
    def khz(self) -> float:
        return self.per_second / 1000

    @property
    def micros_per_op(self) -> float:
        return 1e6 / self.per_second if self.per_second else float("inf")


@dataclass
class PerfResult:
    """The table `bf perf` prints, or why there is none (`failures`)."""

    rows: list[PerfRow] = field(default_factory=list)
    specs: int = 0  # distinct specs in the loop
    failures: list[str] = field(default_factory=list)  # a text per spec that did not pass
    unreadable: list[str] = field(default_factory=list)  # spec files that could not be parsed: file, line, why
    slow: list[tuple[str, float]] = field(default_factory=list)  # specs timed apart: where and name, one run's seconds
    caveat: str = CAVEAT

    @property
    def ok(self) -> bool:
        return not self.failures and not self.unreadable and bool(self.rows)

    @property
    def passing_specs(self) -> int:
        """Every spec measured: those of the loops and the slow ones timed apart."""
        return self.specs + len(self.slow)

    def row(self, operation: str) -> PerfRow:
        return next(row for row in self.rows if row.operation == operation)


@dataclass(frozen=True)
class PerfJob:
    """What each worker needs to load and run the specs by itself (picklable)."""

    project: Project
    paths: tuple[Path, ...]
    keyword: str | None
    seconds: float
    one_core_seconds: float


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def one_core_seconds(seconds: float) -> float:
    return max(0.2, seconds / 5)


def run_perf(
    project: Project,
    seconds: float = 5.0,
    cores: int | None = None,
    keyword: str | None = None,
    paths: list[Path] | None = None,
    on_sample: Callable[[PerfSample], None] | None = None,
) -> PerfResult:
    """Measure the specs of `project` (or of `paths`: spec files, folders, bundles).

    `cores` worker processes (default: every core) run the specs for `seconds`;
    then worker 0 measures applying events and handling requests for
    `one_core_seconds(seconds)` each. `keyword` keeps the specs whose name or
    file contains it, as `bf test -k`. `on_sample(PerfSample)` is called from
    this thread `SAMPLES_PER_SECOND` times a second while the timed phases run.
    Returns a `PerfResult`: its rows, or its failures when a spec did not pass.
    """
    job = PerfJob(project, tuple(paths or [project.specs_dir]), keyword, seconds, one_core_seconds(seconds))
    workers = max(1, cores or available_cores())
    context = multiprocessing.get_context("spawn")
    shared = _Shared(context, workers)
    processes = [
        context.Process(target=_worker, args=(job, index, shared), name=f"bf-perf-{index}", daemon=True)
        for index in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        return _conduct(job, workers, shared, processes, on_sample)
    finally:
        shared.stop.value = 1
        shared.go.set()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()


class _Shared:
    """What the parent and the workers share: counters, signals and a report queue."""

    def __init__(self, context, workers: int):
        self.counts = context.Array("q", workers * 2, lock=False)  # per worker: passing specs, applied events
        self.phase = context.Value("i", 0, lock=False)  # index into PHASES, set by worker 0
        self.stop = context.Value("b", 0, lock=False)
        self.go = context.Event()
        self.reports = context.Queue()

    def publish(self, index: int, specs: int, events: int) -> None:
        self.counts[2 * index] = specs
        self.counts[2 * index + 1] = events

    def totals(self) -> tuple[int, int]:
        counts = self.counts[:]
        return sum(counts[0::2]), sum(counts[1::2])


def _conduct(job: PerfJob, workers: int, shared: _Shared, processes, on_sample) -> PerfResult:
    ready = _gather(shared, processes, "ready", workers)
    first = next(report for report in ready if report["index"] == 0)  # every worker loaded the same specs
    specs, slow = first["specs"], first["slow"]
    unreadable, failures = first["unreadable"], first["failures"]
    if unreadable or failures or specs == 0:
        nothing = [] if failures or unreadable else ["no specs to run" + (f" matching {job.keyword!r}" if job.keyword else "")]
        return PerfResult([], specs, failures or nothing, unreadable, slow)
    shared.go.set()
    started = last_time = time.perf_counter()
    last_specs = last_events = 0
    total_seconds = job.seconds + 2 * job.one_core_seconds
    finished: list[dict] = []
    while len(finished) < workers:
        finished += _gather(shared, processes, "done", workers - len(finished), timeout=1 / SAMPLES_PER_SECOND)
        now = time.perf_counter()
        if on_sample and now > last_time:
            specs_done, events_done = shared.totals()
            on_sample(PerfSample(
                now - started,
                (specs_done - last_specs) / (now - last_time),
                (events_done - last_events) / (now - last_time),
                PHASES[shared.phase.value],
                min(1.0, (now - started) / total_seconds),
            ))
            last_time, last_specs, last_events = now, specs_done, events_done
    return _result(specs, slow, workers, finished)


def _result(specs: int, slow: list[tuple[str, float]], workers: int, finished: list[dict]) -> PerfResult:
    failures = [report["failure"] for report in finished if report["failure"]]
    if failures:
        return PerfResult([], specs, failures, [], slow)
    rows = [PerfRow(RUN_SPEC, workers, sum(r["passed"] for r in finished),
                    sum(r["passed"] / r["seconds"] for r in finished),
                    sum(r["passed"] / r["cpu_seconds"] for r in finished if r["cpu_seconds"]))]
    if slow:
        rate = len(slow) / sum(seconds for _, seconds in slow)
        rows.append(PerfRow(RUN_SLOW_SPEC, 1, len(slow), rate, rate))  # one run each: no CPU time apart
    first = next(report for report in finished if report["index"] == 0)
    for operation in (APPLY_EVENT, HANDLE_REQUEST):
        total, seconds, share = first[operation]
        rate = total / seconds if seconds else 0.0
        rows.append(PerfRow(operation, 1, total, rate, rate / share if share else rate))
    return PerfResult(rows, specs, slow=slow)


class WorkerDied(RuntimeError):
    pass


def _gather(shared: _Shared, processes, kind: str, count: int, timeout: float | None = None) -> list[dict]:
    """Up to `count` reports of `kind`; with `timeout`, what came within it."""
    reports: list[dict] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    while len(reports) < count:
        wait = 0.5 if deadline is None else deadline - time.monotonic()
        if wait <= 0:
            break
        try:
            report = shared.reports.get(timeout=wait)
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise WorkerDied(f"perf worker {dead[0].name} died with exit code {dead[0].exitcode}") from None
            continue
        if report["kind"] == "crashed":
            raise WorkerDied(report["error"])
        if report["kind"] == kind:
            reports.append(report)
    return reports


# ---- in the worker processes ----


def _worker(job: PerfJob, index: int, shared: _Shared) -> None:
    try:
        _work(job, index, shared)
    except BaseException:
        shared.reports.put({"kind": "crashed", "error": traceback.format_exc()})


def _work(job: PerfJob, index: int, shared: _Shared) -> None:
    # Imported here, in the worker: the caller's process (the CLI, the TUI) loads no domain code.
    from workbench.bench.spec_loop import SpecLoop
    from workbench.specs.report import relative

    loop = SpecLoop.load(job.project, list(job.paths), job.keyword)
    failures = loop.check()
    shared.reports.put({"kind": "ready", "index": index, "specs": len(loop.specs), "unreadable": loop.errors,
                        "failures": failures, "slow": [(f"{relative(spec.path)}:{spec.line}: {spec.name}", s) for spec, s in loop.slow]})
    shared.go.wait()
    if shared.stop.value:
        return
    ran = loop.run_specs(job.seconds, lambda specs, events: shared.publish(index, specs, events))
    report = {"kind": "done", "index": index, "passed": ran.passed, "seconds": ran.seconds,
              "cpu_seconds": ran.cpu_seconds, "failure": ran.failure}
    if index == 0 and not ran.failure:
        report.update(_one_core_phases(loop, job.one_core_seconds, shared, ran))
    shared.reports.put(report)


def _one_core_phases(loop, seconds: float, shared: _Shared, ran) -> dict[str, tuple[int, float, float]]:
    measured = {}
    events_before = ran.events  # worker 0's event count goes on growing, so that samples stay deltas
    for phase, measure in ((APPLY_EVENT, loop.apply_events), (HANDLE_REQUEST, loop.handle_requests)):
        shared.phase.value = PHASES.index(phase)
        timed = measure(seconds, lambda events: shared.publish(0, ran.passed, events_before + events))
        measured[phase] = (timed.count, timed.seconds, timed.cpu_share)
        events_before += timed.events
    return measured
