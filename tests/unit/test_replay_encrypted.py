"""`bf replay` on an encrypted data folder (issue 12's master key x the older replay):
it replayed in the clear, writing a plaintext state the node then could not open
(every call INTERNAL); with a wrong key it did the same. It now checks the key as
`bf serve` does, changes nothing when it is wrong or missing, and replays encrypted."""

from __future__ import annotations

import os
import subprocess
import sys

from domain.contracts import inventory_pb2 as inv
from tests.conftest import ROOT
from tests.unit.test_tenancy_key_check import RIGHT, WRONG, serve_once, snapshot
from workbench.tenancy.node import node_tenants


def bf_replay(data, key: str | None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BF_MASTER_KEY")}
    if key:
        environ["BF_MASTER_KEY"] = key
    return subprocess.run([sys.executable, "-m", "workbench.cli", "replay", "shop", "--data", str(data)], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=60)


def test_replay_checks_the_key_and_keeps_the_tenant_encrypted(domain, tmp_path):
    serve_once(domain, tmp_path, RIGHT, tenants=("shop",))
    before = snapshot(tmp_path)
    for key, problem in ((WRONG, "is not the one"), (None, "no master key was given")):
        refused = bf_replay(tmp_path, key)
        assert refused.returncode == 2 and problem in refused.stderr and len(refused.stderr.splitlines()) == 1
        assert snapshot(tmp_path) == before  # nothing removed, nothing rewritten

    replayed = bf_replay(tmp_path, RIGHT)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1 events of tenant shop" in replayed.stdout
    state = (tmp_path / "tenants" / "shop" / "state.db").read_bytes()
    assert not state.startswith(b"SQLite format 3")  # still encrypted
    pool, _ = node_tenants(domain, tmp_path, environ={"BF_MASTER_KEY": RIGHT})
    try:  # the node opens it, with what it held
        assert pool.get("shop").execute(inv.AddProductsReq(skus=["sku-shop"])).code.name == "ALREADY_EXISTS"
    finally:
        pool.close()
