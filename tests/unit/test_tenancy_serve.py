"""`bf serve` with encrypted, bounded tenants over TLS, on a real socket."""

from __future__ import annotations

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, service_pb2, service_pb2_grpc
from workbench.cli import main
from workbench.service.server import Server
from workbench.tenancy.certificates import channel_credentials, issue, server_credentials
from workbench.tenancy.node import node_tenants

MASTER_HEX = "11" * 32


@pytest.fixture
def tls_server(domain, tmp_path):
    issue(tmp_path / "certs")
    tenants, _ = node_tenants(domain, tmp_path / "data", max_open=2, environ={"BF_MASTER_KEY": MASTER_HEX})
    server = Server(domain, tmp_path / "data", "127.0.0.1:0", workers=8, tenants=tenants,
                    credentials=server_credentials(tmp_path / "certs"))
    server.start()
    yield server
    server.stop(grace=0)


def test_tls_clients_that_trust_the_ca_are_served_by_encrypted_tenants(tls_server, tmp_path):
    port = tls_server.address.rpartition(":")[2]
    with grpc.secure_channel(f"localhost:{port}", channel_credentials(tmp_path / "certs" / "ca.pem")) as channel:
        tenants = service_pb2_grpc.TenantServiceStub(channel)
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        for name in ("a", "b", "c"):
            tenants.CreateTenant(service_pb2.CreateTenantReq(name=name))
            stub.AddProducts(inv.AddProductsReq(skus=[f"sku-of-{name}"]), metadata=[("x-tenant", name)])
        assert len(tls_server.tenants.open_names()) <= 2
        with pytest.raises(grpc.RpcError) as refused:
            stub.AddProducts(inv.AddProductsReq(skus=["sku-of-a"]), metadata=[("x-tenant", "a")])
        assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS  # "a" was closed, reopened, and remembers
    assert (tmp_path / "data" / "keys" / "a.key").exists()


def test_a_plaintext_client_gets_no_answer_from_a_tls_server(tls_server):
    with grpc.insecure_channel(tls_server.address) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            service_pb2_grpc.TenantServiceStub(channel).ListTenants(service_pb2.ListTenantsReq(), timeout=2)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_bf_certs_writes_private_keys_readable_by_the_owner_only(tmp_path, capsys):
    assert main(["certs", str(tmp_path / "c"), "--host", "node-2.example"]) == 0
    assert (tmp_path / "c" / "server.key").stat().st_mode & 0o077 == 0
    assert "node-2.example" in capsys.readouterr().out


def test_bf_serve_refuses_a_bad_master_key_or_missing_certificates_clearly(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BF_MASTER_KEY", "not-a-key")
    assert main(["serve", "--data", str(tmp_path / "d"), "--listen", "127.0.0.1:0"]) == 2
    assert "BF_MASTER_KEY: a master key is 64 hex digits" in capsys.readouterr().err
    monkeypatch.setenv("BF_MASTER_KEY", MASTER_HEX)
    assert main(["serve", "--data", str(tmp_path / "d"), "--listen", "127.0.0.1:0", "--tls", str(tmp_path / "none")]) == 2
    assert "bf certs" in capsys.readouterr().err
