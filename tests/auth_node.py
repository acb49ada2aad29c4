"""A node like `bf serve` with tokens, in the tests' process, on a real socket."""

from __future__ import annotations

from pathlib import Path

import grpc

from workbench.service.auth import node_auth
from workbench.service.client_auth import with_token
from workbench.service.server import Server
from workbench.service.tokens import TokenStore
from workbench.tenancy.node import node_tenants
from workbench.tenancy.tenancy_service import TenancyService


class AuthNode:
    """A node like `bf serve` with tokens: an operator's, shop's and cafe's."""

    def __init__(self, domain, data: Path, listen: str, tenants: tuple[str, ...] = ("shop", "cafe")):
        store = TokenStore(data)
        self.operator, _ = store.create(operator=True)
        self.shop, _ = store.create(operator=False, tenant="shop")
        self.cafe, _ = store.create(operator=False, tenant="cafe")
        self.store = store
        interceptors, self.access = node_auth(domain, data, listen, tls=False)
        self.tenants, _ = node_tenants(domain, data)
        self.tenancy = TenancyService(domain, self.tenants)
        self.server = Server(domain, data, listen, workers=8, tenants=self.tenants, extra_services=(self.tenancy,),
                             interceptors=tuple(interceptors))
        self.address = self.tenancy.address = self.server.start()
        for name in tenants:
            self.tenants.create(name)

    def channel(self, token: str | None = None) -> grpc.Channel:
        return with_token(grpc.insecure_channel(self.address), token or "")
