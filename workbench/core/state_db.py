"""Open a tenant's SQLite state, creating the schema when it is new."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

BULK_CACHE_KIB = 1024 * 1024  # a ceiling, not an allocation: pages are cached as they are touched


def open_state(schema_sql: str, path: Path | str = ":memory:") -> sqlite3.Connection:
    """A connection in autocommit mode: callers say BEGIN, COMMIT and ROLLBACK themselves."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, cached_statements=256)
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        db.executescript(schema_sql)
    return db


@contextmanager
def bulk_writes(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Settings for applying many events in a row (replay, catch-up).

    Events insert rows at random places of big indexes (ids are random), so a
    large state needs its pages in memory: the page cache may grow to
    BULK_CACHE_KIB, and the WAL is checkpointed once at the end instead of every
    1,000 pages. Both settings are restored afterwards, which frees the cache.
    """
    cache_size = db.execute("PRAGMA cache_size").fetchone()[0]
    autocheckpoint = db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield db
    finally:
        db.execute(f"PRAGMA wal_autocheckpoint = {autocheckpoint}")
        db.execute(f"PRAGMA cache_size = {cache_size}")
        if not db.in_transaction:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
