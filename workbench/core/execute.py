"""Run one request through its feature handler: the single dispatch point."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable

from workbench.core.codes import Code
from workbench.core.registry import Registry
from workbench.core.rejection import Rejected
from workbench.core.transaction import Transaction


@dataclass
class Outcome:
    """What a request produced: a response and events, or a status code."""

    response: Any | None
    events: list[Any] = field(default_factory=list)
    code: Code = Code.OK
    message: str = ""


class NoHandler(LookupError):
    pass


def execute(registry: Registry, db: sqlite3.Connection, request: Any, new_id: Callable[[], str]) -> Outcome:
    """Handle `request` in the open transaction of `db`.

    A rejection is an outcome, not an error: whatever the handler applied is
    undone (a savepoint taken at its first event), so the transaction holds
    the request's effects only when it was accepted (and, when refused, only
    what the rejection records). Any other exception is a broken handler and
    propagates; the caller then rolls back.
    """
    handler = registry.handler_for(type(request))
    if handler is None:
        raise NoHandler(registry.why_missing(type(request)))
    tx = Transaction(db, registry.appliers, new_id)
    try:
        response = handler(tx, request)
    except Rejected as rejection:
        tx.undo()
        tx.close()
        return Outcome(None, _record(registry, db, new_id, rejection.recorded), rejection.code, rejection.message)
    finally:
        tx.close()
    return Outcome(response, tx.events)


def _record(registry: Registry, db: sqlite3.Connection, new_id: Callable[[], str], events: tuple) -> list[Any]:
    """Apply what a rejection records, in a transaction of its own."""
    if not events:
        return []
    tx = Transaction(db, registry.appliers, new_id)
    for event in events:
        tx.apply(event)
    tx.close()
    return tx.events
