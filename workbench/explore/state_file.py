"""Run a spec and keep its final state in a standalone SQLite file."""

from __future__ import annotations

from pathlib import Path

from workbench.core.domain import Domain
from workbench.core.execute import Outcome
from workbench.specs.model import Spec
from workbench.specs.sandbox import SpecSandbox


def export_state(domain: Domain, spec: Spec, path: Path) -> Outcome:
    """Write the state the spec leaves behind (given events, then its request) to `path`.

    An existing file is replaced, so the state is the spec's alone. Raises
    whatever a broken handler or applier raises.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    sandbox = SpecSandbox(domain, path)
    try:
        return sandbox.run(spec.given, spec.when, spec.next_uid, keep=True)
    finally:
        # One file that any tool can open: no write-ahead log beside it.
        sandbox.db.execute("PRAGMA journal_mode=DELETE")
        sandbox.db.close()
