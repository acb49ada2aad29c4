"""Open a tenant's SQLite state, creating the schema when it is new."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_state(schema_sql: str, path: Path | str = ":memory:") -> sqlite3.Connection:
    """A connection in autocommit mode: callers say BEGIN, COMMIT and ROLLBACK themselves."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, cached_statements=256)
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        db.executescript(schema_sql)
    return db
