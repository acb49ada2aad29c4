"""bf.TenantService: create and list the tenants of the server."""

from __future__ import annotations

import grpc

from domain.contracts.service_pb2 import CreateTenantReq, CreateTenantResp, ListTenantsReq, ListTenantsResp
from workbench.core.codes import Code
from workbench.service.rpc import ServiceError, add_service, unary
from workbench.service.tenants import BadTenantName, LeftoverData, Tenants

SERVICE = "bf.TenantService"


class TenantService:
    def __init__(self, tenants: Tenants):
        self.tenants = tenants

    def add_to(self, server: grpc.Server) -> str:
        add_service(server, SERVICE, {
            "CreateTenant": unary(f"{SERVICE}.CreateTenant", self.create_tenant, CreateTenantReq),
            "ListTenants": unary(f"{SERVICE}.ListTenants", self.list_tenants, ListTenantsReq),
        })
        return SERVICE

    def create_tenant(self, request: CreateTenantReq, context: grpc.ServicerContext) -> CreateTenantResp:
        try:
            return CreateTenantResp(created=self.tenants.create(request.name))
        except BadTenantName as error:
            raise ServiceError(Code.INVALID_ARGUMENT, str(error)) from None
        except LeftoverData as error:
            raise ServiceError(Code.FAILED_PRECONDITION, str(error)) from None

    def list_tenants(self, request: ListTenantsReq, context: grpc.ServicerContext) -> ListTenantsResp:
        return ListTenantsResp(names=self.tenants.names())
