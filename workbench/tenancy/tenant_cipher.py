"""What one tenant needs to keep its data encrypted at rest: a sealer for the
events of its log and an opener for its SQLCipher state, both from its keys."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from workbench.tenancy.encrypted_state import StateKeyError, open_encrypted_state, rekey
from workbench.tenancy.keyring import TenantKeys
from workbench.tenancy.sealing import Sealer

GENERATION_TABLE = "bf_sealing"


class TenantCipher:
    def __init__(self, keys: TenantKeys, generation: int = 0, cache_kib: int = 512):
        self.keys = keys
        self.sealer = Sealer(keys, generation)
        self.cache_kib = cache_kib

    @classmethod
    def for_log(cls, keys: TenantKeys, log_path: Path, cache_kib: int = 512) -> "TenantCipher":
        return cls(keys, log_generation(log_path), cache_kib)

    def open_state(self, schema_sql: str, path: Path | str):
        """The state under the current key; a state still under an older key
        version (a rotation cut short) is re-encrypted on the way."""
        for version in sorted(self.keys.versions, reverse=True):
            try:
                db = open_encrypted_state(schema_sql, path, self.keys.state_key(version), self.cache_kib)
            except StateKeyError:
                continue
            if version != self.keys.current:
                rekey(db, self.keys.state_key(self.keys.current))
            return db
        raise StateKeyError(f"tenant {self.keys.tenant!r}: {path} does not open with any of its key versions")


def log_generation(log_path: Path) -> int:
    """How many times the log was compacted: sealed records are bound to it."""
    if not Path(log_path).exists():
        return 0
    db = sqlite3.connect(str(log_path))
    try:
        row = db.execute(f"SELECT generation FROM {GENERATION_TABLE}").fetchone()
    except sqlite3.OperationalError:  # never compacted: no table
        row = None
    finally:
        db.close()
    return row[0] if row else 0


def set_log_generation(db: sqlite3.Connection, generation: int) -> None:
    db.execute(f"CREATE TABLE IF NOT EXISTS {GENERATION_TABLE} (generation INTEGER NOT NULL)")
    db.execute(f"DELETE FROM {GENERATION_TABLE}")
    db.execute(f"INSERT INTO {GENERATION_TABLE}(generation) VALUES (?)", (generation,))
