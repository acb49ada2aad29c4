"""What a running service tells whoever watches it: metrics, the operator's log.

The tenant, the tenant pool, the Lua runtime and the maintenance services call
the process's observer at the moments worth counting; by default it does
nothing (a method call per group, not per request). `bf serve` installs one
that feeds Prometheus and the log (workbench/metrics/). Keeping the interface
here, in the core, lets the service and the domain's scripts report without
knowing who listens.
"""

from __future__ import annotations

from typing import Callable


class Observer:
    """Every hook, doing nothing. Times are seconds."""

    def group_ran(self, tenant: str, queue_waits: list[float], append_seconds: float | None) -> None:
        """A group of requests ran in `tenant`: `queue_waits` says how long each
        waited for the group to start; `append_seconds` how long appending its
        events to the log took (one fsync), None when it had none to log."""

    def call_answered(self, method: str, tenant: str, code: str, seconds: float) -> None:
        """A call inside a bulk stream was answered, `seconds` after it was read (`method`:
        `package.Service.Method`, `code`: its status's name). Unary calls are watched by the
        server's interceptor, which sees a bulk stream as one call."""

    def state_committed(self, tenant: str, seconds: float) -> None:
        """The state's open transaction was committed."""

    def tenant_opened(self, tenant: str, seconds: float, caught_up: int) -> None:
        """A tenant was opened, applying `caught_up` events its state lacked."""

    def tenant_evicted(self, tenant: str) -> None:
        """An idle tenant was closed to keep the open ones under the bound."""

    def script_ran(self, hook: str, seconds: float, outcome: str) -> None:
        """A Lua script ran; `outcome` is "ok", "failed" or "bound" (it hit a limit)."""

    def maintenance(self, operation: str, tenant: str, seconds: float, figures: dict[str, float]) -> None:
        """A maintenance operation (compact, migrate, adopt) finished, with its figures."""

    # -- cluster mode (workbench/cluster/) --------------------------------------------

    def ownership_changed(self, tenant: str, change: str) -> None:
        """This node's hold on `tenant`'s lease changed: "taken" (it was free), "reclaimed" (ours
        from before a restart), "taken_over" (from an owner found down), "lost" (another node took
        it), "handed_over" (a migration) or "released" (a clean stop)."""

    def cluster_appended(self, tenant: str, seconds: float, outcome: str) -> None:
        """A group was offered to the cluster's log: "ok" (acknowledged by JetStream), "fenced"
        (another node appended since) or "failed" (no answer or refused: its fate is unknown)."""

    def replica_pulled(self, tenant: str, events: int, lag_seconds: float) -> None:
        """A warm copy pulled `events` new events; the newest was written `lag_seconds` ago."""


_current = Observer()


def observer() -> Observer:
    return _current


def install(new: Observer | None) -> None:
    """Make `new` the process's observer (None: back to the one that does nothing)."""
    global _current
    _current = new if new is not None else Observer()


def fanout(*observers: Observer) -> Observer:
    """One observer calling each of `observers` on the hooks it overrides (and only those)."""
    combined = Observer()
    for name, default in vars(Observer).items():
        if not callable(default) or name.startswith("_"):
            continue
        hooks = [getattr(o, name) for o in observers if getattr(type(o), name) is not default]
        if len(hooks) == 1:
            setattr(combined, name, hooks[0])
        elif hooks:
            setattr(combined, name, _each(hooks))
    return combined


def _each(hooks: list[Callable]) -> Callable:
    def call(*args) -> None:
        for hook in hooks:
            hook(*args)
    return call
