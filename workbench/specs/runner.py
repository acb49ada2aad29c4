"""Run specs and judge them: a Verdict per spec, whatever happens in it.

A handler that raises is that spec's error, with its traceback; the run goes on.
A spec over its time budget (`spec_timeout` in `[tool.bf]`) is a `timeout`,
interrupted where it was; the run goes on.
"""

from __future__ import annotations

import signal
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Protocol

from workbench.core.execute import Outcome
from workbench.core.registry import Registry
from workbench.specs.compare import Difference, compare
from workbench.specs.model import Spec

PASS, FAIL, ERROR, TIMEOUT = "pass", "fail", "error", "timeout"


class SpecTimeout(BaseException):
    """Raised inside a spec that ran over its budget: a BaseException, so that a
    handler's `except Exception` cannot swallow it."""


class Target(Protocol):
    """Where specs run: the local sandbox, or a remote SpecService."""

    def run(self, given: list[Any], when: Any, next_uid: int) -> Outcome: ...


@dataclass
class Verdict:
    spec: Spec
    status: str
    differences: list[Difference] = field(default_factory=list)
    outcome: Outcome | None = None
    error: str | None = None  # the traceback, when the spec crashed
    touched: frozenset[str] = frozenset()  # feature modules whose handler or appliers ran
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == PASS


def run_spec(spec: Spec, target: Target, registry: Registry | None = None, budget: float | None = None) -> Verdict:
    """`budget`: seconds the spec may take (None: no limit)."""
    started = time.perf_counter()
    try:
        with _time_budget(budget):
            outcome = target.run(spec.given, spec.when, spec.next_uid)
    except SpecTimeout:
        return Verdict(spec, TIMEOUT, error=timeout_text(budget, traceback.format_exc()),
                       touched=_touched(spec, None, registry), seconds=time.perf_counter() - started)
    except Exception:
        return Verdict(spec, ERROR, error=traceback.format_exc(), touched=_touched(spec, None, registry),
                       seconds=time.perf_counter() - started)
    differences = compare(spec, outcome)
    return Verdict(spec, FAIL if differences else PASS, differences, outcome,
                   touched=_touched(spec, outcome, registry), seconds=time.perf_counter() - started)


def run_specs(specs: Iterable[Spec], target: Target, registry: Registry | None = None,
              budget: float | None = None) -> Iterator[Verdict]:
    for spec in specs:
        yield run_spec(spec, target, registry, budget)


def timeout_text(budget: float, where: str = "") -> str:
    text = f"still running after its time budget of {budget:g} s (spec_timeout in [tool.bf]): stopped"
    return f"{text}\n{where}" if where else text + "\n"


@contextmanager
def _time_budget(budget: float | None):
    """Interrupt the block with SpecTimeout after `budget` seconds (a real-time
    timer: only the main thread receives signals, elsewhere there is no limit)."""
    if not budget or threading.current_thread() is not threading.main_thread():
        yield
        return

    def over_budget(signum, frame):
        raise SpecTimeout()

    previous = signal.signal(signal.SIGALRM, over_budget)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _touched(spec: Spec, outcome: Outcome | None, registry: Registry | None) -> frozenset[str]:
    """The features that ran for this spec: the request's handler and the appliers
    of every given and produced event."""
    if registry is None:
        return frozenset()
    messages = [spec.when, *spec.given, *(outcome.events if outcome else [])]
    return frozenset(
        registry.feature_of[type(m)].module for m in messages if type(m) in registry.feature_of
    )
