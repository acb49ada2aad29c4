"""Compacting a live, encrypted tenant while requests keep coming."""

from __future__ import annotations

import sqlite3
import threading

from domain.compaction import CANON
from domain.traffic import InventoryTraffic
from workbench.service.tenant import Tenant
from workbench.tenancy.compactor import compact_tenant
from workbench.tenancy.fingerprint import state_fingerprint
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.pool import TenantPool
from workbench.tenancy.rotation import rotate_tenant_key
from workbench.tenancy.sealing import Sealer, TamperedRecord
from workbench.tenancy.tenant_cipher import TenantCipher

MASTER = bytes(range(32))


def drive(tenant, traffic, count):
    accepted = 0
    for _ in range(count):
        request = traffic.request()
        outcome = tenant.execute(request)
        traffic.observe(request, outcome.response)
        accepted += bool(outcome.events)
    return accepted


def test_compaction_under_load_keeps_the_state_shrinks_the_log_and_archives_the_old(tmp_path, domain):
    keyring = Keyring(tmp_path / "keys", MASTER)
    pool = TenantPool(domain, tmp_path / "data", keyring)
    pool.create("acme")
    tenant = pool.get("acme")
    traffic = InventoryTraffic(5)
    drive(tenant, traffic, 1000)
    events_before = tenant.log.last_position
    during = threading.Thread(target=drive, args=(tenant, traffic, 200))
    during.start()
    result = compact_tenant(tenant, domain)
    during.join()
    drive(tenant, traffic, 50)  # the tenant keeps serving on the new log

    assert events_before <= result.events_before and result.events_after < result.events_before
    assert result.bytes_after < result.bytes_before
    assert result.pause_seconds < 0.25
    live = state_fingerprint(tenant.db, CANON)
    last = tenant.log.last_position
    pool.close()

    folder = tmp_path / "data" / "tenants" / "acme"
    for leftover in folder.glob("state.db*"):
        leftover.unlink()  # rebuilt from the compacted log alone
    keys = keyring.keys("acme")
    rebuilt = Tenant("acme", domain, folder, cipher=TenantCipher.for_log(keys, folder / "log.db"))
    assert state_fingerprint(rebuilt.db, CANON) == live
    assert rebuilt.log.last_position == last
    rebuilt.close()

    archive = result.archive
    assert archive == folder / "archive" / "log-0.db"
    rows = sqlite3.connect(str(archive)).execute("SELECT position, type, data FROM events ORDER BY position").fetchall()
    assert len(rows) >= result.events_before
    assert Sealer(keys, generation=0).open(rows[0][0], rows[0][2], rows[0][1])  # the archive stays readable
    try:
        Sealer(keys, generation=1).open(rows[0][0], rows[0][2], rows[0][1])
        raise AssertionError("an archived record opened as a live one")
    except TamperedRecord as error:
        assert f"position {rows[0][0]}" in str(error)


def test_an_already_compact_log_is_left_alone(tmp_path, domain):
    pool = TenantPool(domain, tmp_path / "data")
    tenant = pool.get()
    drive(tenant, InventoryTraffic(1), 3)
    result = compact_tenant(tenant, domain)
    assert result.archive is None and result.events_after == result.events_before
    pool.close()


def test_rotation_after_compaction_keeps_the_archive_readable(tmp_path, domain):
    keyring = Keyring(tmp_path / "keys", MASTER)
    pool = TenantPool(domain, tmp_path / "data", keyring)
    pool.create("acme")
    tenant = pool.get("acme")
    drive(tenant, InventoryTraffic(2), 300)
    archive = compact_tenant(tenant, domain).archive
    rotation = rotate_tenant_key(keyring, tenant)
    keys = keyring.keys("acme")
    assert sorted(keys.versions) == [rotation.version]
    rows = sqlite3.connect(str(archive)).execute("SELECT position, type, data FROM events").fetchall()
    assert all(Sealer(keys, generation=0).open(position, data, kind) for position, kind, data in rows)
    pool.close()
