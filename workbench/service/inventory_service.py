"""The domain's own services (the kata's InventoryService, bf.BfInventoryService, ...),
served through the caller's tenant.

Nothing here names a request: every service of the contracts whose methods'
requests have feature handlers in the registry is served, each method by
`Tenant.run` on the server's event loop. A rejection becomes its status code and message; a method
whose feature is missing or broken is UNIMPLEMENTED, saying why.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from workbench.core.codes import Code
from workbench.core.domain import Domain
from workbench.service.limits import check_limits
from workbench.service.forwarding import TenantElsewhere
from workbench.service.rpc import ServiceError, add_service, async_unary, hold_tenant_on_loop, unary
from workbench.service.tenants import Tenants


def domain_services(domain: Domain) -> list[ServiceDescriptor]:
    """The contracts' unary services that have at least one request with a feature handler."""
    handled = {request.DESCRIPTOR.full_name for request in domain.registry.requests()}
    services = []
    for service in contract_services(domain.project.contracts):
        methods = service.methods
        unary_methods = all(not m.client_streaming and not m.server_streaming for m in methods)
        if unary_methods and any(m.input_type.full_name in handled for m in methods):
            services.append(service)
    return services


def contract_services(contracts_package: str) -> list[ServiceDescriptor]:
    package = importlib.import_module(contracts_package)
    services = []
    for info in pkgutil.iter_modules(package.__path__, contracts_package + "."):
        if info.name.endswith("_pb2"):
            services += importlib.import_module(info.name).DESCRIPTOR.services_by_name.values()
    return services


def add_domain_services(server: grpc.Server, domain: Domain, tenants: Tenants) -> list[str]:
    """Serve every domain service; returns their full names."""
    request_types = {request.DESCRIPTOR.full_name: request for request in domain.registry.requests()}
    message_types = {message.DESCRIPTOR.full_name: message for message in domain.messages.values()}
    names = []
    for service in domain_services(domain):
        handlers = {}
        for method in service.methods:
            request_type = request_types.get(method.input_type.full_name)
            if request_type is None:
                handlers[method.name] = _unimplemented(method, message_types, domain)
            else:
                route = (f"/{service.full_name}/{method.name}", message_types[method.output_type.full_name])
                handlers[method.name] = async_unary(
                    method.full_name, _through_tenant(tenants, domain.registry.text_limits, route), request_type)
        add_service(server, service.full_name, handlers)
        names.append(service.full_name)
    return names


def _through_tenant(tenants: Tenants, text_limits: dict[str, int], route: tuple[str, type]):
    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> Any:
        check_limits(request, text_limits)
        try:
            tenant, release = await hold_tenant_on_loop(context, tenants)
        except TenantElsewhere as elsewhere:  # a cluster node that does not serve this tenant
            return await elsewhere.forward(route[0], request, route[1], context)
        try:
            outcome = await tenant.run(request)
        finally:
            release()
        if outcome.code != Code.OK:
            raise ServiceError(outcome.code, outcome.message)
        return outcome.response
    return behaviour


def _unimplemented(method: MethodDescriptor, message_types: dict[str, type], domain: Domain) -> grpc.RpcMethodHandler:
    request_type = message_types[method.input_type.full_name]
    why = domain.registry.why_missing(request_type)

    def behaviour(request: Any, context: grpc.ServicerContext) -> Any:
        raise ServiceError(Code.UNIMPLEMENTED, why)
    return unary(method.full_name, behaviour, request_type)
