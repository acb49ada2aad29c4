"""The transaction a feature handler works in: query the state, apply events.

Events are applied the moment they are emitted, so the handler's next query
already sees them. A handler says no by raising `Rejected`. Where the transaction begins and ends is the caller's
business (the spec runner rolls back, a tenant commits with its event log).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable

Applier = Callable[[sqlite3.Connection, Any], None]


class Transaction:
    __slots__ = ("db", "events", "new_id", "_appliers", "_saved")

    def __init__(self, db: sqlite3.Connection, appliers: dict[type, Applier], new_id: Callable[[], str]):
        self.db = db
        self.events: list[Any] = []
        self.new_id = new_id
        self._appliers = appliers
        self._saved = False  # a savepoint is taken at the first event: most requests only read or refuse

    def one(self, sql: str, params: tuple = ()) -> tuple | None:
        return self.db.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    def value(self, sql: str, params: tuple = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = self.db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def exists(self, sql: str, params: tuple = ()) -> bool:
        return self.db.execute(sql, params).fetchone() is not None

    def apply(self, event: Any) -> None:
        """Record `event` and change the state by it, at once."""
        if not self._saved:
            self.db.execute("SAVEPOINT request")
            self._saved = True
        apply_event(self._appliers, self.db, event)
        self.events.append(event)

    def undo(self) -> None:
        """Take back every change the applied events made (the request was rejected)."""
        if self._saved:
            self.db.execute("ROLLBACK TO request")

    def close(self) -> None:
        """Keep the changes in the enclosing transaction (the caller commits or rolls back)."""
        if self._saved:
            self.db.execute("RELEASE request")
            self._saved = False


class NoApplier(LookupError):
    pass


def apply_event(appliers: dict[type, Applier], db: sqlite3.Connection, event: Any) -> None:
    try:
        applier = appliers[type(event)]
    except KeyError:
        raise NoApplier(f"no feature applies {type(event).__name__} events") from None
    applier(db, event)
