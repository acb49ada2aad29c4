"""Replay: rebuild a tenant's state from its event log, and measure how fast.

`replay` deletes the tenant's state files and opens the tenant, which applies
its whole log (the same catch-up `bf serve` runs after a crash). `build_log`
makes a long log to measure it on: the stress business, run in memory, its
events appended a phase at a time (one version per phase, so a million events
take seconds to write instead of one fsync per request).
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from workbench.config import Project
from workbench.core.codes import Code
from workbench.core.domain import Domain
from workbench.core.execute import execute
from workbench.core.ids import new_id
from workbench.core.state_db import open_state
from workbench.service.codec import EventCodec
from workbench.service.event_log import EventLog
from workbench.service.tenant import LOG_FILE, Tenant, remove_state

if TYPE_CHECKING:
    from workbench.tenancy.tenant_cipher import TenantCipher

Progress = Callable[[int, int], None]  # (events applied so far, events to apply)


@dataclass(frozen=True)
class Replayed:
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


class NoLog(FileNotFoundError):
    pass


def replay(domain: Domain, folder: Path, on_progress: Progress | None = None,
           cipher: "TenantCipher | None" = None) -> Replayed:
    """Rebuild the state of the tenant kept in `folder` from its log. The tenant must not be open elsewhere.
    `cipher`: an encrypted tenant's (its log is read, and its state written, with it)."""
    folder = Path(folder)
    if not (folder / LOG_FILE).is_file():
        raise NoLog(f"{folder}: no tenant here (no {LOG_FILE})")
    remove_state(folder)
    started = time.perf_counter()
    tenant = Tenant(folder.name, domain, folder, on_progress, cipher=cipher)
    try:
        return Replayed(tenant.position, time.perf_counter() - started)
    finally:
        tenant.close()


def build_log(project: Project, folder: Path, events: int, seed: int = 1, on_progress: Progress | None = None) -> int:
    """Write at least `events` events of the domain's stress business to a new log in `folder`; returns how many."""
    domain = Domain.load(project)
    workload = importlib.import_module(f"{project.domain}.stress_workload").Workload(seed)
    codec = EventCodec(domain.registry)
    state = open_state(domain.schema_sql)  # in memory: where the events come from
    Path(folder).mkdir(parents=True, exist_ok=True)
    log = EventLog(Path(folder) / LOG_FILE)
    try:
        round_number = 0
        while log.last_position < events:
            round_number += 1
            for phase in workload.phases(round_number):
                batch = []
                state.execute("BEGIN")
                for request in phase:
                    outcome = execute(domain.registry, state, request, new_id)
                    workload.observe(request, outcome.response if outcome.code == Code.OK else None)
                    batch += [codec.encode(event) for event in outcome.events]
                state.execute("COMMIT")
                log.append(batch)
            if on_progress:
                on_progress(log.last_position, events)
        return log.last_position
    finally:
        log.close()
        state.close()
