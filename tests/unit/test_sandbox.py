"""The sandbox keeps one transaction open across runs: each run must still
start from the empty state, and a kept run must really reach the file."""

import sqlite3

from domain.contracts.inventory_pb2 import AddProductsReq, ProductAdded
from workbench.specs.sandbox import SpecSandbox

UID = "00000000-0000-0000-0000-{:012x}".format


def skus(db):
    return [sku for (sku,) in db.execute("SELECT sku FROM products ORDER BY sku")]


def test_each_run_starts_from_the_empty_state(domain):
    sandbox = SpecSandbox(domain)
    for sku in ("a", "b", "c"):
        outcome = sandbox.run([], AddProductsReq(skus=[sku]), 1)
        assert outcome.response.uids == [UID(1)]  # the id counter and the state start afresh
        assert skus(sandbox.db) == []


def test_a_kept_run_between_rolled_back_runs_is_committed_to_the_file(domain, tmp_path):
    path = tmp_path / "state.sqlite"
    sandbox = SpecSandbox(domain, path)
    sandbox.run([ProductAdded(uid=UID(1), sku="gone")], AddProductsReq(skus=["gone too"]), 2)
    sandbox.run([ProductAdded(uid=UID(1), sku="kept")], AddProductsReq(skus=["kept too"]), 2, keep=True)
    sandbox.run([], AddProductsReq(skus=["after"]), 3)  # rolled back again
    sandbox.db.close()
    assert skus(sqlite3.connect(path)) == ["kept", "kept too"]


def test_a_crashing_applier_leaves_nothing_behind(domain):
    sandbox = SpecSandbox(domain)
    broken = ProductAdded(uid=UID(2), sku="dup")
    try:
        sandbox.run([ProductAdded(uid=UID(1), sku="dup"), broken], AddProductsReq(skus=["x"]), 3)
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("a duplicate sku in the given events must make the applier raise")
    assert skus(sandbox.db) == []
    assert sandbox.run([], AddProductsReq(skus=["dup"]), 1).response.uids == [UID(1)]
