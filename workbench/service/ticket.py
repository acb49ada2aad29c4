"""A request waiting in a tenant's queue, and what became of it.

Its caller is a thread, which sleeps on a lock until the request is done or
until it is handed the next group to run (tenant.py), or a coroutine on an
asyncio loop, which awaits a future until the request is done. Tickets are
finished by the thread leading their group.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable

from workbench.core.execute import Outcome


class Ticket:
    __slots__ = ("request", "new_id", "outcome", "error", "done", "queued")

    def __init__(self, request: Any, new_id: Callable[[], str]):
        self.request = request
        self.new_id = new_id
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None
        self.done = False
        self.queued = time.perf_counter()  # for the observer's queue wait

    def fail(self, error: BaseException) -> None:
        self.outcome, self.error = None, error

    def result(self) -> Outcome:
        if self.error is not None:
            raise self.error
        return self.outcome


class ThreadTicket(Ticket):
    """A ticket whose caller is a thread."""

    __slots__ = ("_asleep",)

    def __init__(self, request: Any, new_id: Callable[[], str]):
        super().__init__(request, new_id)
        # A lock taken at birth is the cheapest one-shot signal: `sleep` blocks
        # until `wake` releases it. A ticket is woken at most twice (to lead,
        # then done), and its caller sleeps at most once before each.
        self._asleep = threading.Lock()
        self._asleep.acquire()

    def sleep(self) -> None:
        self._asleep.acquire()

    def wake(self) -> None:
        self._asleep.release()


class LoopTicket(Ticket):
    """A ticket whose caller is a coroutine on `loop`."""

    __slots__ = ("loop", "future")

    def __init__(self, request: Any, new_id: Callable[[], str], loop: asyncio.AbstractEventLoop):
        super().__init__(request, new_id)
        self.loop = loop
        self.future = loop.create_future()

    async def sleep(self) -> None:
        await self.future


def finish(group: list[Ticket]) -> None:
    """Mark the group's tickets done and wake their callers: the coroutines of one
    loop with one call into it, not one each (the leader is a thread, never the loop's)."""
    on_loops: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
    for ticket in group:
        ticket.done = True
        if isinstance(ticket, LoopTicket):
            on_loops.setdefault(ticket.loop, []).append(ticket.future)
        else:
            ticket.wake()
    for loop, futures in on_loops.items():
        loop.call_soon_threadsafe(_settle, futures)


def _settle(futures: list[asyncio.Future]) -> None:
    for future in futures:
        if not future.done():  # a cancelled call's future is done already
            future.set_result(None)
