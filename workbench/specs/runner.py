"""Run specs and judge them: a Verdict per spec, whatever happens in it.

A handler that raises is that spec's error, with its traceback; the run goes on.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Protocol

from workbench.core.execute import Outcome
from workbench.core.registry import Registry
from workbench.specs.compare import Difference, compare
from workbench.specs.model import Spec

PASS, FAIL, ERROR = "pass", "fail", "error"


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


def run_spec(spec: Spec, target: Target, registry: Registry | None = None) -> Verdict:
    started = time.perf_counter()
    try:
        outcome = target.run(spec.given, spec.when, spec.next_uid)
    except Exception:
        return Verdict(spec, ERROR, error=traceback.format_exc(), touched=_touched(spec, None, registry),
                       seconds=time.perf_counter() - started)
    differences = compare(spec, outcome)
    return Verdict(spec, FAIL if differences else PASS, differences, outcome,
                   touched=_touched(spec, outcome, registry), seconds=time.perf_counter() - started)


def run_specs(specs: Iterable[Spec], target: Target, registry: Registry | None = None) -> Iterator[Verdict]:
    for spec in specs:
        yield run_spec(spec, target, registry)


def _touched(spec: Spec, outcome: Outcome | None, registry: Registry | None) -> frozenset[str]:
    """The features that ran for this spec: the request's handler and the appliers
    of every given and produced event."""
    if registry is None:
        return frozenset()
    messages = [spec.when, *spec.given, *(outcome.events if outcome else [])]
    return frozenset(
        registry.feature_of[type(m)].module for m in messages if type(m) in registry.feature_of
    )
