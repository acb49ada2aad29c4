"""Who may call what: bearer tokens checked by one server interceptor, one role table.

A call presents `authorization: Bearer <token>` (gRPC's convention; bf's clients
send BF_TOKEN, see client_auth.py). The node looks the token up (tokens.py) and
decides by the method's full name alone, before any service runs:

  no token, or one this node does not accept    UNAUTHENTICATED
  an operator token                             everything
  a tenant token                                the tenant methods, on its own tenant only (`x-tenant`
                                                must name it; absent means `default`), else PERMISSION_DENIED
  anyone                                        the public methods (health checks)

Every method that the table does not name is for operators: a service added
later (bulk calls, cluster, metrics) is closed to tenants until a row opens it.

A node without a tokens file serves everyone (development mode), but only on
loopback or a unix socket, and it says so; on any other address it refuses to
start unless told `--insecure-no-auth`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Awaitable, Callable, Iterable

import grpc

from workbench.core.domain import Domain
from workbench.service.inventory_service import domain_services
from workbench.core.codes import Code
from workbench.service.rpc import TENANT_METADATA, ServiceError
from workbench.service.tenants import DEFAULT_TENANT, BadTenantName, check_tenant_name
from workbench.service.tokens import Grant, TokenStore

AUTHORIZATION_METADATA = "authorization"
BEARER = "bearer "
OPEN_FLAG = "--insecure-no-auth"

PUBLIC, ANY_TOKEN, TENANT, OPERATOR = "public", "any token", "tenant", "operator"
# Keys are a service's full name, or `service/method`; the domain's services are TENANT too.
ROLE_TABLE = {
    "grpc.health.v1.Health": PUBLIC,
    "grpc.reflection.v1alpha.ServerReflection": ANY_TOKEN,
    "grpc.reflection.v1.ServerReflection": ANY_TOKEN,
    "bf.EventStreamService/Follow": TENANT,
    # Any token opens the stream; each call in it is then checked alone (authorize_call).
    "bf.BulkService/Call": ANY_TOKEN,
}

Refusal = tuple[grpc.StatusCode, str]


class AuthError(Exception):
    pass


class Authorizer(grpc.aio.ServerInterceptor):
    def __init__(self, store: TokenStore, tenant_services: Iterable[str] = ()):
        self.store = store
        self.roles = {**{service: TENANT for service in tenant_services}, **ROLE_TABLE}

    def role_of(self, method: str) -> str:
        """`method`: gRPC's `/package.Service/Method`."""
        service_and_method = method.lstrip("/")
        service = service_and_method.partition("/")[0]
        return self.roles.get(service_and_method) or self.roles.get(service) or OPERATOR

    def refusal(self, method: str, metadata: Iterable[tuple[str, str | bytes]]) -> Refusal | None:
        """None when the call may go on, else its status and message (which never repeat the token)."""
        role = self.role_of(method)
        if role == PUBLIC:
            return None
        presented = [value for key, value in metadata or () if key == AUTHORIZATION_METADATA]
        tenants = [value for key, value in metadata or () if key == TENANT_METADATA]
        if not presented:
            return grpc.StatusCode.UNAUTHENTICATED, ("this node requires credentials: send 'authorization: Bearer"
                                                     " <token>' (bf's clients read BF_TOKEN or BF_TOKEN_FILE)")
        credential = presented[0] if len(presented) == 1 and isinstance(presented[0], str) else ""
        grant = self.store.lookup(credential[len(BEARER):].strip()) if credential[:len(BEARER)].lower() == BEARER else None
        if grant is None:
            return grpc.StatusCode.UNAUTHENTICATED, ("the bearer token is not accepted by this node (malformed,"
                                                     " revoked, or made for another node)")
        if len(tenants) > 1:  # the services read the first: one call, one tenant
            return grpc.StatusCode.INVALID_ARGUMENT, f"'{TENANT_METADATA}' given {len(tenants)} times; give it once"
        return _permission(grant, role, method.lstrip("/"), tenants[0] if tenants else DEFAULT_TENANT)

    async def intercept_service(self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable],
                                details: grpc.HandlerCallDetails):
        handler = await continuation(details)
        refused = self.refusal(details.method, details.invocation_metadata) if handler is not None else None
        if refused is not None:
            return _refusing(handler, *refused)
        if handler is not None and handler.unary_stream and self.role_of(details.method) != PUBLIC:
            return self._rechecking(handler, details)
        return handler

    def _rechecking(self, handler: grpc.RpcMethodHandler, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        """A server stream (Follow) checks its token again before each message: one revoked (or whose
        grant changed) while the stream is open gets nothing more."""
        inner = handler.unary_stream

        async def stream(request, context: grpc.aio.ServicerContext):
            async for message in inner(request, context):
                refused = self.refusal(details.method, details.invocation_metadata)
                if refused is not None:
                    await context.abort(*refused)
                yield message

        return grpc.unary_stream_rpc_method_handler(stream, handler.request_deserializer, handler.response_serializer)

    def authorize_call(self, context: grpc.aio.ServicerContext, method: str, tenant: str) -> None:
        """One call inside a bf.BulkService stream, with the stream's token and the call's own method and
        tenant, as if it came alone. Raises ServiceError when it is refused."""
        metadata = [(key, value) for key, value in context.invocation_metadata() or () if key != TENANT_METADATA]
        refused = self.refusal(method, [*metadata, (TENANT_METADATA, tenant)])
        if refused is not None:
            code, message = refused
            raise ServiceError(Code(code.value[0]), message)


def bulk_authorizer(interceptors: Iterable[grpc.aio.ServerInterceptor]) -> Callable | None:
    """What checks each call of a bulk stream on a server with these interceptors (None: no checks)."""
    return next((interceptor.authorize_call for interceptor in interceptors if isinstance(interceptor, Authorizer)),
                None)


def _permission(grant: Grant, role: str, method: str, tenant: str) -> Refusal | None:
    if grant.operator or role == ANY_TOKEN:
        return None
    if role == OPERATOR:
        return grpc.StatusCode.PERMISSION_DENIED, f"{method} needs an operator token; this is {grant.describe()}"
    try:
        check_tenant_name(tenant if isinstance(tenant, str) else "")
    except BadTenantName as error:
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    if tenant != grant.tenant:
        return grpc.StatusCode.PERMISSION_DENIED, (f"{grant.describe()} may act on tenant {grant.tenant!r} only, not"
                                                   f" {tenant!r} (send '{TENANT_METADATA}: {grant.tenant}')")
    return None


def _refusing(handler: grpc.RpcMethodHandler, code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    """A handler of the same kind as `handler` that ends the call with `code` at once."""
    async def refuse(request, context: grpc.aio.ServicerContext):
        await context.abort(code, message)

    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(refuse)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(refuse)
    return grpc.unary_unary_rpc_method_handler(refuse)


def is_local(listen: str) -> bool:
    """Only this machine's own programs can reach `listen` (a unix socket or a loopback address)."""
    if listen.startswith("unix:"):
        return True
    host = listen.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def node_auth(domain: Domain, data: Path, listen: str, tls: bool, open_without_auth: bool = False
              ) -> tuple[list[grpc.aio.ServerInterceptor], str]:
    """The interceptors a node serves with and one line saying who may call it.
    Raises AuthError for a non-local address with no tokens (unless `open_without_auth`)."""
    store = TokenStore(data)
    if store.exists():
        grants = store.grants()
        operators = sum(grant.operator for grant in grants)
        line = (f"access: bearer tokens required ({operators} operator, {len(grants) - operators} tenant;"
                f" `bf tokens` manages them)")
        if not tls and not is_local(listen):
            line += "; WARNING: without --tls tokens cross the network in the clear"
        return [Authorizer(store, (service.full_name for service in domain_services(domain)))], line
    if is_local(listen):
        who = "this user's programs (the socket is 0700)" if listen.startswith("unix:") else "every program on this machine"
        return [], (f"access: OPEN, DEVELOPMENT MODE: no tokens, so {who} may read and change every tenant through"
                    f" {listen} (`bf tokens create --operator` and a restart turn tokens on)")
    if open_without_auth:
        return [], f"access: OPEN on {listen} ({OPEN_FLAG}): anyone who reaches it may read and change every tenant"
    raise AuthError(f"refusing to serve {listen} without credentials: create tokens (`bf tokens create --operator"
                    f" --data {data}`), listen on 127.0.0.1 or unix:PATH, or pass {OPEN_FLAG}")
