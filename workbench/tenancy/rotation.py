"""Key rotation without downtime.

1. The keyring gets a new key version; new events are sealed under it at once.
2. The state database is re-encrypted (SQLCipher rekey) under the tenant's lock:
   the only pause, a few milliseconds for a typical tenant.
3. Old log records, and those of archived logs, are resealed in small batches
   beside the running tenant (each a compare-and-set, so a concurrent append
   is never overwritten).
4. The old key versions are retired: nothing is sealed under them any more.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.core.crash_points import crash_point
from workbench.service.tenant import Tenant
from workbench.tenancy.compactor import ARCHIVE
from workbench.tenancy.encrypted_state import rekey
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.sealing import Sealer
from workbench.tenancy.tenant_cipher import log_generation

RESEAL_BATCH = 500


@dataclass
class Rotation:
    tenant: str
    version: int
    resealed: int
    pause_seconds: float  # how long requests to the tenant waited


def rotate_tenant_key(keyring: Keyring, tenant: Tenant) -> Rotation:
    if tenant.cipher is None:
        raise ValueError(f"tenant {tenant.name!r} is not encrypted: there is no key to rotate")
    keys = keyring.rotate(tenant.name)
    crash_point("rotation.key-added")
    sealer = tenant.cipher.sealer
    with tenant.paused():
        started = time.perf_counter()  # from here on the tenant's requests wait
        rekey(tenant.db, keys.state_key(keys.current))
        crash_point("rotation.state-rekeyed")
        tenant.cipher.keys = sealer.keys = keys
    pause = time.perf_counter() - started
    resealed = _reseal(tenant.log.path, sealer, keys.current)
    for archived in sorted((tenant.folder / ARCHIVE).glob("*.db")):  # archived logs stay readable
        resealed += _reseal(archived, Sealer(keys, log_generation(archived)), keys.current)
    # A crash before this point leaves older versions in the key file: every record
    # still opens, and the next rotation reseals what this one did not reach.
    retired = keyring.retire(tenant.name, [v for v in keys.versions if v != keys.current])
    crash_point("rotation.retired")
    tenant.cipher.keys = sealer.keys = retired
    return Rotation(tenant.name, keys.current, resealed, pause)


def _reseal(log_path: Path, sealer: Sealer, current: int) -> int:
    db = sqlite3.connect(str(log_path), isolation_level=None, timeout=30)
    resealed = after = 0
    try:
        while rows := db.execute("SELECT position, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?",
                                 (after, RESEAL_BATCH)).fetchall():
            db.execute("BEGIN IMMEDIATE")
            for position, type_name, data in rows:
                if sealer.key_version(data) != current:
                    db.execute("UPDATE events SET data = ? WHERE position = ? AND data = ?",
                               (sealer.reseal(position, data, type_name), position, data))
                    resealed += 1
            db.execute("COMMIT")
            crash_point("rotation.resealed-batch")
            after = rows[-1][0]
    finally:
        db.close()
    return resealed
