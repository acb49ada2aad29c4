"""SpecService's specs run bounded: any caller may send one, with any GIVEN.

GIVEN events are applied as they are, like a log's (no handler checks them),
so a caller could otherwise ask for minutes of work and gigabytes of state.
Each spec:
  - has at most MAX_GIVEN_EVENTS given events of MAX_GIVEN_BYTES in all    INVALID_ARGUMENT
  - runs for at most SPEC_SECONDS (SQLite's progress handler stops it)     DEADLINE_EXCEEDED
  - grows its in-memory state by at most SPEC_STATE_BYTES                 RESOURCE_EXHAUSTED
  - runs on SpecService's own few threads, never the server's: however
    many specs are sent, the other services keep their threads; at most
    SPEC_WAITING specs wait for one, more are turned away                 RESOURCE_EXHAUSTED
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workbench.core.codes import Code
from workbench.core.domain import Domain
from workbench.core.execute import Outcome
from workbench.service.rpc import ServiceError
from workbench.specs.sandbox import SpecSandbox

MAX_GIVEN_EVENTS = 1_000
MAX_GIVEN_BYTES = 1024 * 1024
SPEC_SECONDS = 2.0
SPEC_STATE_BYTES = 64 * 1024 * 1024
SPEC_THREADS = 2
SPEC_WAITING = 64
_PROGRESS_EVERY = 10_000  # SQLite virtual machine steps between two looks at the clock


def check_given(given: Any) -> None:
    """`given`: the request's repeated Any, before anything is unpacked."""
    if len(given) > MAX_GIVEN_EVENTS:
        raise ServiceError(Code.INVALID_ARGUMENT, f"'given' has {len(given):,} events; at most {MAX_GIVEN_EVENTS:,}")
    size = sum(event.ByteSize() for event in given)
    if size > MAX_GIVEN_BYTES:
        raise ServiceError(Code.INVALID_ARGUMENT,
                           f"'given' is {size:,} bytes; at most {MAX_GIVEN_BYTES // 1024:,} KiB")


class BoundedSpecRuns:
    def __init__(self, domain: Domain, threads: int = SPEC_THREADS, waiting: int = SPEC_WAITING):
        self._domain = domain
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bf-spec")
        self._admitted = threads + waiting
        self._running = 0  # changed on the server's loop only
        self._sandboxes = threading.local()  # a sandbox's database serves one thread

    async def run(self, given: list[Any], when: Any, next_uid: int) -> Outcome:
        if self._running >= self._admitted:
            raise ServiceError(Code.RESOURCE_EXHAUSTED,
                               f"SpecService is busy ({self._running} specs running or waiting); try again")
        self._running += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, self._run, given, when, next_uid)
        finally:
            self._running -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _run(self, given: list[Any], when: Any, next_uid: int) -> Outcome:
        sandbox = self._sandbox()
        deadline = time.monotonic() + SPEC_SECONDS
        late = []

        def past_deadline() -> int:
            if not late and time.monotonic() > deadline:
                late.append(True)
                return 1  # interrupts the statement running; the rollback after it may run
            return 0
        sandbox.db.set_progress_handler(past_deadline, _PROGRESS_EVERY)
        try:
            outcome = sandbox.run(given, when, next_uid)
        except sqlite3.OperationalError as error:
            if not late and "full" not in str(error):
                raise
            outcome = None
            full = str(error)
        finally:
            sandbox.db.set_progress_handler(None, 0)
        if late:
            raise ServiceError(Code.DEADLINE_EXCEEDED, f"the spec ran past SpecService's limit of {SPEC_SECONDS:g} s")
        if outcome is None:
            raise ServiceError(Code.RESOURCE_EXHAUSTED,
                               f"the spec's state grew past {SPEC_STATE_BYTES // 2**20} MiB ({full})")
        return outcome

    def _sandbox(self) -> SpecSandbox:
        sandbox = getattr(self._sandboxes, "sandbox", None)
        if sandbox is None:
            sandbox = self._sandboxes.sandbox = SpecSandbox(self._domain)
            page_size = sandbox.db.execute("PRAGMA page_size").fetchone()[0]
            sandbox.db.execute(f"PRAGMA max_page_count = {SPEC_STATE_BYTES // page_size}")
        return sandbox
