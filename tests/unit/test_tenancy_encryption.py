"""Tenants encrypted at rest: no plaintext on disk, shredding, tampering, rotation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from domain.contracts.inventory_pb2 import (
    AddLocationsReq, AddProductsReq, ListLocationsReq, ReserveReq, UpdateInventoryReq,
)
from workbench.service.tenants import UnknownTenant
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.pool import TenantPool
from workbench.tenancy.rotation import rotate_tenant_key
from workbench.tenancy.sealing import TamperedRecord

MASTER = bytes(range(32))
SECRETS = [b"Warehouse-Zanzibar-North", b"SKU-TOP-SECRET-7731", b"order-ultraviolet-99"]


def make_pool(tmp_path: Path, domain, **options) -> TenantPool:
    return TenantPool(domain, tmp_path / "data", Keyring(tmp_path / "keys", MASTER), **options)


def fill(tenant) -> None:
    location = tenant.execute(AddLocationsReq(locs=[AddLocationsReq.Loc(name=SECRETS[0].decode())])).response.locs[0].uid
    product = tenant.execute(AddProductsReq(skus=[SECRETS[1].decode()])).response.uids[0]
    tenant.execute(UpdateInventoryReq(location=location, product=product, OnHandChange=40))
    assert tenant.execute(ReserveReq(reservation=SECRETS[2].decode(), items=[ReserveReq.Item(sku=SECRETS[1].decode(), quantity=3)])).response


def plaintext_on_disk(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {secret.decode()}" for secret in SECRETS if secret in data]
    return found


def test_no_plaintext_on_disk_while_open_or_closed_and_none_after_shredding(tmp_path, domain):
    pool = make_pool(tmp_path, domain)
    pool.create("acme")
    tenant = pool.get("acme")
    fill(tenant)
    assert plaintext_on_disk(tmp_path) == []  # while open: the WAL files hold only ciphertext
    pool.close()
    assert plaintext_on_disk(tmp_path) == []
    reopened = make_pool(tmp_path, domain)
    names = [loc.name for loc in reopened.get("acme").execute(ListLocationsReq()).response.locs]
    assert names == [SECRETS[0].decode()]
    reopened.shred("acme")
    assert "acme" not in reopened.names()
    assert plaintext_on_disk(tmp_path) == []
    assert list((tmp_path / "data" / "tenants" / "acme").iterdir())  # the files remain, unreadable
    with pytest.raises(UnknownTenant, match="'acme' was shredded"):
        reopened.get("acme")
    with pytest.raises(UnknownTenant, match="'acme' was shredded"):
        make_pool(tmp_path, domain).get("acme")


def test_a_plain_tenant_does_have_plaintext_on_disk_so_the_scan_can_fail(tmp_path, domain):
    pool = TenantPool(domain, tmp_path / "data")
    fill(pool.get())
    pool.close()
    assert plaintext_on_disk(tmp_path)


def _tamper(log_path: Path, sql: str) -> None:
    db = sqlite3.connect(str(log_path), isolation_level=None)
    db.create_function("flip_last_bit", 1, lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    db.execute(sql)
    db.close()


@pytest.mark.parametrize("sql, position", [
    ("UPDATE events SET data = flip_last_bit(data) WHERE position = 2", 2),
    ("UPDATE events SET data = (SELECT data FROM events WHERE position = 1) WHERE position = 3", 3),
    ("UPDATE events SET type = 'protos.LocationAdded' WHERE position = 2", 2),
])
def test_a_tampered_record_is_refused_naming_tenant_and_position(tmp_path, domain, sql, position):
    pool = make_pool(tmp_path, domain)
    pool.create("acme")
    fill(pool.get("acme"))
    pool.close()
    folder = tmp_path / "data" / "tenants" / "acme"
    _tamper(folder / "log.db", sql)
    for leftover in folder.glob("state.db*"):
        leftover.unlink()  # the state is rebuilt from the log, which reads every record
    with pytest.raises(TamperedRecord, match=rf"tenant 'acme': event log record at position {position} "):
        make_pool(tmp_path, domain).get("acme")


def test_a_record_from_another_tenant_does_not_open(tmp_path, domain):
    pool = make_pool(tmp_path, domain)
    for name in ("acme", "other"):
        pool.create(name)
        fill(pool.get(name))
    pool.close()
    tenants = tmp_path / "data" / "tenants"
    stolen = sqlite3.connect(str(tenants / "other" / "log.db")).execute("SELECT data FROM events WHERE position = 1").fetchone()[0]
    db = sqlite3.connect(str(tenants / "acme" / "log.db"), isolation_level=None)
    db.execute("UPDATE events SET data = ? WHERE position = 1", (stolen,))
    db.close()
    with pytest.raises(TamperedRecord, match="tenant 'acme': event log record at position 1"):
        make_pool(tmp_path, domain).get("acme").events()


def test_rotation_reseals_everything_under_the_new_key_and_retires_the_old(tmp_path, domain):
    pool = make_pool(tmp_path, domain)
    pool.create("acme")
    tenant = pool.get("acme")
    fill(tenant)
    before = tenant.events()
    rotation = rotate_tenant_key(pool.keyring, tenant)
    assert (rotation.version, rotation.resealed) == (2, len(before))
    assert rotation.pause_seconds < 0.5
    assert sorted(pool.keyring.keys("acme").versions) == [2]
    fill_more = tenant.execute(AddProductsReq(skus=["after-rotation"]))
    assert fill_more.response.uids
    pool.close()
    reopened = make_pool(tmp_path, domain).get("acme")
    assert reopened.events()[: len(before)] == before
    assert plaintext_on_disk(tmp_path) == []


def test_least_recently_used_tenants_close_beyond_the_bound_and_reopen_on_use(tmp_path, domain):
    pool = make_pool(tmp_path, domain, max_open=3)
    for index in range(6):
        pool.create(f"t{index}")
        pool.get(f"t{index}").execute(AddProductsReq(skus=[f"sku-{index}"]))
    assert pool.open_names() == ["t3", "t4", "t5"]
    held, release = pool.hold("t3")
    pool.get("t0")
    pool.get("t1")
    assert "t3" in pool.open_names() and len(pool.open_names()) == 3
    release()
    pool.get("t2")
    assert pool.open_names() == ["t0", "t1", "t2"]
    assert pool.get("t3").events()[0].sku == "sku-3"


def test_a_tampered_tenant_fails_alone(tmp_path, domain):
    pool = make_pool(tmp_path, domain)
    for name in ("acme", "other"):
        pool.create(name)
        fill(pool.get(name))
    pool.close()
    folder = tmp_path / "data" / "tenants" / "acme"
    _tamper(folder / "log.db", "UPDATE events SET data = flip_last_bit(data) WHERE position = 1")
    for leftover in folder.glob("state.db*"):
        leftover.unlink()
    reopened = make_pool(tmp_path, domain)
    with pytest.raises(TamperedRecord, match="tenant 'acme'"):
        reopened.get("acme")
    assert [loc.name for loc in reopened.get("other").execute(ListLocationsReq()).response.locs] == [SECRETS[0].decode()]
