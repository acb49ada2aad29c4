"""Finding 3 of issue 12: a compaction killed in its final switch, between
archiving log.db and putting the compacted log in its place, must not make
the tenant vanish, nor let CreateTenant make an empty tenant over its events."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from domain.contracts import inventory_pb2 as inv
from tests.conftest import ROOT
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.pool import TenantPool

MASTER = bytes(range(32))

# Compacts tenant `shop` (100 writes to one stock level), dying like kill -9 at
# the rename that puts the compacted log in place: after log.db was archived.
KILLED_IN_THE_SWITCH = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import workbench.tenancy.compactor as compactor
    from domain.contracts import inventory_pb2 as inv
    from workbench.config import find_project
    from workbench.core.domain import Domain
    from workbench.tenancy.keyring import Keyring
    from workbench.tenancy.pool import TenantPool

    def replace(source, target, real=os.replace):
        if Path(source).name == compactor.NEW_LOG:
            os.kill(os.getpid(), signal.SIGKILL)
        real(source, target)

    compactor.os = type("os", (), {**{n: getattr(os, n) for n in dir(os) if not n.startswith("__")}, "replace": staticmethod(replace)})
    data, encrypted = Path(sys.argv[1]), sys.argv[2] == "encrypted"
    domain = Domain.load(find_project(Path.cwd()))
    pool = TenantPool(domain, data, Keyring(data / "keys", bytes(range(32))) if encrypted else None)
    pool.create("shop")
    shop = pool.get("shop")
    shelf = shop.execute(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")])).response.locs[0].uid
    cola = shop.execute(inv.AddProductsReq(skus=["cola"])).response.uids[0]
    for _ in range(100):
        shop.execute(inv.UpdateInventoryReq(location=shelf, product=cola, OnHandChange=1))
    print(shelf, flush=True)
    compactor.compact_tenant(shop, domain)
    print("compaction was not interrupted", flush=True)
""")


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_a_compaction_killed_between_archiving_and_renaming_loses_no_tenant(domain, tmp_path, encrypted):
    data = tmp_path / "data"
    killed = subprocess.run([sys.executable, "-c", KILLED_IN_THE_SWITCH, str(data), "encrypted" if encrypted else "plain"],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    shelf = killed.stdout.split()[0]
    folder = data / "tenants" / "shop"
    assert not (folder / "log.db").exists() and (folder / "archive" / "log-0.db").exists()  # the window

    pool = TenantPool(domain, data, Keyring(data / "keys", MASTER) if encrypted else None)
    try:
        assert "shop" in pool.names()
        assert pool.create("shop") is False  # it exists: nothing is created over it
        shop = pool.get("shop")
        assert shop.execute(inv.GetLocInventoryReq(location=shelf)).response.items[0].OnHand == 100
        assert len(shop.events()) < 100  # the compacted log is the one in place
        assert shop.execute(inv.UpdateInventoryReq(location=shelf, product=shop.events()[1].uid,
                                                   OnHandChange=1)).response.OnHand == 101
    finally:
        pool.close()


def test_a_switch_cut_off_before_archiving_keeps_the_old_log_and_drops_the_new(domain, tmp_path):
    pool = TenantPool(domain, tmp_path)
    pool.get().execute(inv.AddProductsReq(skus=["cola"]))
    pool.close()
    folder = tmp_path / "tenants" / "default"
    (folder / "log.compacting.db").write_bytes(b"half written")
    pool = TenantPool(domain, tmp_path)
    try:
        assert pool.get().events()[0].sku == "cola"
        assert not (folder / "log.compacting.db").exists()
    finally:
        pool.close()


def test_create_tenant_never_creates_over_leftover_data(domain, tmp_path):
    from workbench.service.tenants import LeftoverData, Tenants

    tenants = Tenants(domain, tmp_path)
    try:
        folder = tmp_path / "tenants" / "shop"
        folder.mkdir()
        (folder / "state.db").write_bytes(b"x")
        with pytest.raises(LeftoverData, match="'shop' has no event log but its folder holds state.db"):
            tenants.create("shop")
        assert list(folder.iterdir()) == [folder / "state.db"]
    finally:
        tenants.close()


def test_bf_serve_refuses_to_start_over_a_default_tenant_that_lost_its_log(tmp_path):
    folder = tmp_path / "data" / "tenants" / "default"
    folder.mkdir(parents=True)
    (folder / "state.db").write_bytes(b"x")
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "serve", "--listen", "127.0.0.1:0", "--data",
                           str(tmp_path / "data")], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "bf serve: tenant 'default' has no event log but its folder holds state.db: it is not created over them"
        " (move them away, or restore log.db)"]
