"""Every file and folder a node creates is its owner's alone (issue 12, finding 7):
0600 and 0700 even when the node is started with the common umask 022."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc
from domain.contracts.tenancy_pb2 import CompactReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from tests.conftest import ROOT
from tests.serve_process import ServeProcess
from workbench.service.client_auth import with_token

MASTER_HEX = "33" * 32


def loose_modes(folder) -> list[str]:
    """Everything under `folder` (and itself) that others could read or enter."""
    loose = []
    for path in [folder, *folder.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISSOCK(mode):
            continue
        if mode & 0o077:
            loose.append(f"{path.relative_to(folder.parent)} {stat.filemode(mode)}")
    return loose


def busy_tenant(channel, name: str) -> None:
    service_pb2_grpc.TenantServiceStub(channel).CreateTenant(service_pb2.CreateTenantReq(name=name))
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    metadata = [("x-tenant", name)]
    shelf = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")]),
                              metadata=metadata).locs[0].uid
    mug = stub.AddProducts(inv.AddProductsReq(skus=["mug"]), metadata=metadata).uids[0]
    for _ in range(5):
        stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf, product=mug, OnHandChange=1), metadata=metadata)


def test_a_node_started_with_umask_022_creates_only_private_files(tmp_path):
    data = tmp_path / "data"
    environ = {**os.environ, "BF_MASTER_KEY": MASTER_HEX, "PYTHONPATH": str(ROOT)}
    made = subprocess.run(f"umask 022; exec {sys.executable} -m workbench.cli tokens create --operator --data {data}",
                          shell=True, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    environ["BF_TOKEN"] = made.stdout.strip()
    with ServeProcess(data, env=environ, umask=0o022) as node:
        with with_token(node.channel(), environ["BF_TOKEN"]) as channel:
            busy_tenant(channel, "shop")
            busy_tenant(channel, "cafe")
            compacted = TenancyServiceStub(channel).Compact(CompactReq(tenant="shop"), timeout=60)
            assert compacted.archive
        socket = node.address.removeprefix("unix:")
        assert os.stat(socket).st_mode & 0o077 == 0  # only the node's user can connect
        assert node.stop()[0] == 0
    offline = subprocess.run(f"umask 022; exec {sys.executable} -m workbench.cli compact cafe --data {data}",
                             shell=True, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert offline.returncode == 0, offline.stderr
    names = {path.name for path in data.rglob("*")}
    assert {"log.db", "state.db", "archive", "shop.key", "master-key.check", "tokens.json"} <= names
    assert loose_modes(data) == []
