"""Nodes in the test's process for migration tests: a pool, the tenancy service, a real server."""

from __future__ import annotations

from pathlib import Path

from workbench.service.server import Server
from workbench.tenancy.certificates import channel_credentials, server_credentials
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.pool import TenantPool
from workbench.tenancy.tenancy_service import TenancyService


class Node:
    def __init__(self, domain, folder: Path, socket_dir: Path, master: bytes, certs: Path | None = None):
        self.pool = TenantPool(domain, folder, Keyring(folder / "keys", master))
        self.tenancy = TenancyService(domain, self.pool, channel_credentials(certs / "ca.pem") if certs else None)
        listen = "127.0.0.1:0" if certs else f"unix:{socket_dir / (folder.name + '.sock')}"
        self.server = Server(domain, folder, listen, workers=16, tenants=self.pool, extra_services=(self.tenancy,),
                             credentials=server_credentials(certs) if certs else None)
        self.tenancy.address = self.server.start()
