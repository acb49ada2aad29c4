"""bf's own clients present BF_TOKEN / BF_TOKEN_FILE to nodes that require tokens, a
node migrating a tenant presents its own, and no token or key ever reaches a log."""

from __future__ import annotations

import os
import subprocess
import sys

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc
from tests.auth_node import AuthNode
from tests.conftest import ROOT
from tests.serve_process import ServeProcess
from workbench.cli import main
from workbench.service.client_auth import with_token
from workbench.service.tokens import TokenStore, token_hash

SHOP = [("x-tenant", "shop")]


@pytest.fixture
def nodes(domain, tmp_path, socket_dir):
    source = AuthNode(domain, tmp_path / "a", f"unix:{socket_dir / 'a.sock'}")
    target = AuthNode(domain, tmp_path / "b", f"unix:{socket_dir / 'b.sock'}", tenants=())
    target.store.add(source.operator, operator=True)  # one operator token for both nodes
    yield source, target
    for node in (source, target):
        node.server.stop(grace=0)


def run(monkeypatch, capsys, token: str | None, *argv: str) -> tuple[int, str, str]:
    monkeypatch.delenv("BF_TOKEN_FILE", raising=False)
    if token is None:
        monkeypatch.delenv("BF_TOKEN", raising=False)
    else:
        monkeypatch.setenv("BF_TOKEN", token)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_bf_events_and_bf_test_present_the_token_of_the_environment(nodes, monkeypatch, capsys, tmp_path):
    source, _ = nodes
    source.tenants.get("shop").execute(inv.AddProductsReq(skus=["mug"]))
    code, out, _ = run(monkeypatch, capsys, source.shop, "events", "--target", source.address, "--tenant", "shop")
    assert code == 0 and "ProductAdded" in out
    code, _, err = run(monkeypatch, capsys, None, "events", "--target", source.address, "--tenant", "shop")
    assert code == 1 and "UNAUTHENTICATED" in err
    code, _, err = run(monkeypatch, capsys, source.cafe, "events", "--target", source.address, "--tenant", "shop")
    assert code == 1 and "PERMISSION_DENIED" in err and source.cafe not in err

    token_file = tmp_path / "operator.token"
    token_file.write_text(source.operator + "\n")
    monkeypatch.setenv("BF_TOKEN_FILE", str(token_file))
    monkeypatch.delenv("BF_TOKEN", raising=False)
    tested = subprocess.run([sys.executable, "-m", "workbench.cli", "test", "--target", source.address, "specs/products"],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                            timeout=120)
    assert tested.returncode == 0 and ", 0 failed" in tested.stdout, tested.stdout + tested.stderr
    monkeypatch.setenv("BF_TOKEN_FILE", str(tmp_path / "missing.token"))
    assert main(["events", "--target", source.address]) == 2
    assert "BF_TOKEN_FILE=" in capsys.readouterr().err


def test_compaction_and_migration_need_the_operator_and_nodes_present_their_token(nodes, monkeypatch, capsys):
    source, target = nodes
    tenant = source.tenants.get("shop")
    shelf = tenant.execute(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")])).response.locs[0].uid
    mug = tenant.execute(inv.AddProductsReq(skus=["mug"])).response.uids[0]
    for _ in range(10):
        tenant.execute(inv.UpdateInventoryReq(location=shelf, product=mug, OnHandChange=1))

    code, _, err = run(monkeypatch, capsys, source.shop, "compact", "shop", "--server", source.address)
    assert code == 1 and "PERMISSION_DENIED" in err
    code, out, _ = run(monkeypatch, capsys, source.operator, "compact", "shop", "--server", source.address)
    assert code == 0 and "shop: 12 -> 3 events" in out

    code, _, err = run(monkeypatch, capsys, source.shop, "migrate", "shop", "--server", source.address,
                       "--to", target.address)
    assert code == 1 and "PERMISSION_DENIED" in err
    target.store.revoke(next(g.id for g in target.store.grants() if g.sha256 == token_hash(source.operator)))
    code, _, err = run(monkeypatch, capsys, source.operator, "migrate", "shop", "--server", source.address,
                       "--to", target.address)
    assert code == 1 and "cannot adopt" in err and "not accepted by this node" in err  # the target forgot the token
    assert "shop" in source.tenants.names()
    target.store.add(source.operator, operator=True)
    code, out, err = run(monkeypatch, capsys, source.operator, "migrate", "shop", "--server", source.address,
                         "--to", target.address)
    assert code == 0, err
    with target.channel(target.shop) as channel:
        items = inventory_pb2_grpc.InventoryServiceStub(channel).GetLocInventory(
            inv.GetLocInventoryReq(location=shelf), metadata=SHOP).items
    assert items[0].OnHand == 10


def test_no_token_or_key_reaches_the_nodes_output(tmp_path):
    data = tmp_path / "data"
    store = TokenStore(data)
    operator, _ = store.create(operator=True)
    shop, _ = store.create(operator=False, tenant="shop")
    master, peer = "44" * 32, "bft_" + "P" * 43
    environ = {**os.environ, "BF_MASTER_KEY": master, "BF_TOKEN": peer, "PYTHONPATH": str(ROOT)}
    with ServeProcess(data, env=environ) as node:
        start_lines = node.banner + node.process.stdout.readline() + node.process.stdout.readline()
        with grpc.insecure_channel(node.address) as plain, with_token(grpc.insecure_channel(node.address), operator) \
                as as_operator, with_token(grpc.insecure_channel(node.address), shop) as as_shop:
            service_pb2_grpc.TenantServiceStub(as_operator).CreateTenant(service_pb2.CreateTenantReq(name="shop"))
            inventory_pb2_grpc.InventoryServiceStub(as_shop).AddProducts(inv.AddProductsReq(skus=["x"]), metadata=SHOP)
            details = []
            for channel, metadata in [(plain, SHOP), (as_shop, [("x-tenant", "cafe")]),
                                      (plain, [("authorization", f"Bearer {shop[:-1]}"), *SHOP]),
                                      (plain, [("authorization", f"Bearer {master}")])]:
                with pytest.raises(grpc.RpcError) as refused:
                    inventory_pb2_grpc.InventoryServiceStub(channel).ListLocations(inv.ListLocationsReq(),
                                                                                   metadata=metadata)
                details.append(refused.value.details())
        code, out = node.stop()
        assert code == 0
    said = start_lines + out + node.stderr() + "\n".join(details)
    assert "bearer tokens required (1 operator, 1 tenant" in said, said
    for secret in (operator, shop, shop[:-1], master, peer, *(g.sha256 for g in store.grants())):
        assert secret not in said


def test_bf_stress_presents_the_token_to_a_node_that_requires_one(small_rounds, tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    token, _ = TokenStore(data).create(operator=True)
    code, _, err = run(monkeypatch, capsys, None, "stress", "--rounds", "1", "--data", str(data))
    assert code == 2 and err.count("\n") == 1 and "UNAUTHENTICATED" in err and "Traceback" not in err
    code, out, err = run(monkeypatch, capsys, token, "stress", "--rounds", "1", "--data", str(data))
    assert code == 0, err
    assert "requests/s over 1 rounds" in out
