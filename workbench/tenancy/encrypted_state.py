"""A tenant's state database encrypted at rest with SQLCipher.

SQLCipher encrypts every page (AES-256, HMAC-SHA512 per page) of the database
and of its WAL, so neither holds plaintext. We give it a raw 256-bit key (the
tenant's state subkey), which skips SQLCipher's passphrase stretching: opening
costs no PBKDF2 rounds. Temporary tables and sorts stay in memory, never in
plaintext temp files.
"""

from __future__ import annotations

from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher

DatabaseError = sqlcipher.DatabaseError


class StateKeyError(Exception):
    pass


def _key_pragma(name: str, key: bytes) -> str:
    return f"PRAGMA {name} = \"x'{key.hex()}'\""


def open_encrypted_state(schema_sql: str, path: Path | str, key: bytes, cache_kib: int = 512):
    """A connection in autocommit mode to the state at `path`, created when new.

    `cache_kib` bounds the page cache: the pool of open tenants relies on it.
    """
    db = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False, cached_statements=64)
    db.execute("PRAGMA cipher_log_level = NONE")
    db.execute(_key_pragma("key", key))
    try:
        db.execute(f"PRAGMA cache_size = -{cache_kib}")
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlcipher.DatabaseError:
        db.close()
        raise StateKeyError(f"{path}: the state database does not open with this tenant's key") from None
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA temp_store = MEMORY")
    if tables == 0:
        db.executescript(schema_sql)
    return db


def rekey(db, key: bytes) -> None:
    """Re-encrypt every page under `key` (key rotation)."""
    db.execute(_key_pragma("rekey", key))
