"""A cluster encrypted at rest (real NATS servers, real nodes, one master key):
no plaintext in JetStream's files nor in the nodes' folders, failover still works,
and a node with a wrong key, or none, refuses to start in one line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv
from tests.conftest import ROOT
from tests.unit.test_cluster import add_location, create_tenant, listed, stub

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.audit import replayed_fingerprint  # noqa: E402
from workbench.cluster.cluster_keys import ClusterKeyring  # noqa: E402
from workbench.cluster.leases import Leases  # noqa: E402
from workbench.cluster.link import NatsLink  # noqa: E402
from workbench.cluster.local import BfNode, LocalCluster, node_environment  # noqa: E402
from workbench.cluster.nats_servers import free_ports  # noqa: E402
from workbench.service.rpc import TENANT_METADATA  # noqa: E402
from workbench.tenancy.keyring import KeyringError  # noqa: E402
from workbench.tenancy.master_key import new_master_key, parse_master_key  # noqa: E402

SKU = "SKU-CANARY-5Q7XW2"
PLACE = "PLACE-CANARY-9JD4"
LEASE_SECONDS = 1.5


KEY = new_master_key()


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory):
    local = LocalCluster(tmp_path_factory.mktemp("encrypted"), ROOT, nodes=2, lease_seconds=LEASE_SECONDS,
                         env=node_environment(KEY)).start()
    yield local
    local.stop()


def _files_holding(folders: list[Path], needle: bytes) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file() and needle in path.read_bytes()]


def test_nothing_in_the_clear_and_failover_still_works(encrypted):
    first, second = encrypted.nodes
    create_tenant(first.address, "sealed")
    acknowledged = {PLACE: add_location(first.address, "sealed", PLACE)}
    stub(first.address).AddProducts(inv.AddProductsReq(skus=[SKU]), metadata=[(TENANT_METADATA, "sealed")], timeout=10)
    link = NatsLink(encrypted.nats.urls, name="bf-test-encrypted")
    try:
        owner_address = Leases(link, "probe", "").owner("sealed").address
    finally:
        link.close()
    owner = next(n for n in encrypted.nodes if n.address == owner_address)
    survivor = second if owner is first else first
    time.sleep(0.5)  # the survivor's warm copy has pulled the events (sealed in its cache too)
    owner.kill()
    deadline = time.monotonic() + LEASE_SECONDS + 10
    while True:
        try:
            acknowledged["after"] = add_location(survivor.address, "sealed", "after")
            break
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE and time.monotonic() < deadline, error.details()
            time.sleep(0.1)
    assert listed(survivor.address, "sealed") == acknowledged  # the survivor unwrapped the tenant's key
    stores = [server.folder for server in encrypted.nats.servers]
    assert _files_holding(stores, b"bf.log.sealed"), "the scan must see the tenant's messages in JetStream's files"
    nodes = [node.folder for node in encrypted.nodes]
    for needle in (SKU.encode(), PLACE.encode()):
        assert _files_holding(stores + nodes, needle) == []


@pytest.mark.parametrize("key, refusal", [(new_master_key(), "is not the cluster's"),
                                          (None, "the cluster is encrypted and no master key was given")])
def test_a_node_with_a_wrong_or_no_key_refuses_to_start(encrypted, tmp_path, key, refusal):
    node = BfNode(9, tmp_path / "node-9", free_ports(1)[0], env=node_environment(key))
    node.start(ROOT, encrypted.nats.url_list, LEASE_SECONDS)
    try:
        assert node.process.wait(timeout=60) == 2
    except subprocess.TimeoutExpired:
        node.kill()
        raise
    lines = node.log_path.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bf serve: ") and refusal in lines[0], lines


def test_a_snapshot_is_sealed_and_a_fresh_copy_opens_it(encrypted, domain):
    node = next(n for n in encrypted.nodes if n.running)  # the other may have been killed above
    create_tenant(node.address, "packed")
    metadata = [(TENANT_METADATA, "packed")]
    uid = add_location(node.address, "packed", PLACE + "-2")
    product = stub(node.address).AddProducts(inv.AddProductsReq(skus=[SKU + "-2"]), metadata=metadata,
                                             timeout=10).uids[0]
    for _ in range(10):
        stub(node.address).UpdateInventory(inv.UpdateInventoryReq(location=uid, product=product, OnHandChange=1),
                                           metadata=metadata, timeout=10)
    link = NatsLink(encrypted.nats.urls, name="bf-test-encrypted")
    try:
        keyring = ClusterKeyring(link, parse_master_key(KEY, "the test's key"))
        before = replayed_fingerprint(link, domain, "packed", keyring)
        compacted = subprocess.run([sys.executable, "-m", "workbench.cli", "compact", "packed", "--server",
                                    node.address], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert compacted.returncode == 0, compacted.stderr
        assert "12 -> 3 events" in compacted.stdout
        assert replayed_fingerprint(link, domain, "packed", keyring) == before  # from the sealed snapshot
        assert "packed" in keyring.tenants() and "_master-key-check" not in keyring.tenants()
        with pytest.raises(KeyringError, match="cannot unwrap"):  # the wrapped key is of no use without the key
            ClusterKeyring(link, parse_master_key(new_master_key(), "another key")).keys("packed")
    finally:
        link.close()
    stores = [server.folder for server in encrypted.nats.servers]
    assert _files_holding(stores, b"bf_snapshots"), "the scan must see the object store's files"
    for needle in ((SKU + "-2").encode(), (PLACE + "-2").encode()):
        assert _files_holding(stores, needle) == []
