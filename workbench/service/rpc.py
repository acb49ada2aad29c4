"""What every RPC of the server shares: safe decoding, status codes, the caller's tenant.

Behaviours are plain functions `(request, context) -> response` (or a generator
of responses), or coroutines (`async_unary`). They say no by raising
`ServiceError(code, message)`; they never call `context.abort` themselves, so
one place decides every status:
  a request that does not decode        INVALID_ARGUMENT, naming the message
  ServiceError                          its code and message
  anything else raised                  INTERNAL with the error's text (the traceback goes
                                        to the server's log); the server keeps serving
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Awaitable, Callable

import grpc
from google.protobuf.message import DecodeError

from workbench.core.codes import Code
from workbench.service.tenant import Tenant
from workbench.service.tenants import DEFAULT_TENANT, BadTenantName, Tenants, UnknownTenant

TENANT_METADATA = "x-tenant"
# A status message travels percent-encoded in the grpc-message trailer, and a client
# refuses trailers over 8 KiB (RESOURCE_EXHAUSTED, the message lost): longer ones are cut.
MAX_STATUS_BYTES = 4000
_LOG = logging.getLogger("bf.serve")
_STATUS = {status.value[0]: status for status in grpc.StatusCode}

Behaviour = Callable[[Any, grpc.ServicerContext], Any]


class ServiceError(Exception):
    def __init__(self, code: Code, message: str, trailing: tuple[tuple[str, str], ...] = ()):
        super().__init__(f"{code.spec_name}: {message}")
        self.code = code
        self.message = message
        self.trailing = trailing  # trailing metadata for the caller (a cluster's owner address)


def status_of(code: Code) -> grpc.StatusCode:
    return _STATUS[int(code)]


class _Malformed:
    __slots__ = ("error",)

    def __init__(self, error: str):
        self.error = error


def _deserializer(message_type: type) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Any:
        try:
            return message_type.FromString(data)
        except DecodeError as error:
            return _Malformed(str(error))
    return deserialize


def _serialize(message: Any) -> bytes:
    return message.SerializeToString()


def _status(method: str, error: Exception) -> tuple[grpc.StatusCode, str]:
    if isinstance(error, ServiceError):
        return status_of(error.code), fitting_status(error.message)
    _LOG.exception("%s failed", method)
    return grpc.StatusCode.INTERNAL, fitting_status(f"{method} failed: {type(error).__name__}: {error}")


def fitting_status(message: str) -> str:
    """`message`, or as much of its start as fits MAX_STATUS_BYTES once percent-encoded, saying it was cut."""
    if len(message) * 12 <= MAX_STATUS_BYTES:  # a character encodes to 12 bytes at most
        return message
    note = f" [cut: {len(message):,} characters in all]"
    budget, used = MAX_STATUS_BYTES - len(note), 0
    for end, character in enumerate(message):
        used += 1 if " " <= character <= "~" and character != "%" else 3 * len(character.encode("utf-8", "replace"))
        if used > budget:
            return message[:end] + note
    return message


def _abort(context: grpc.ServicerContext, method: str, error: Exception) -> None:
    try:
        if getattr(error, "trailing", ()):
            context.set_trailing_metadata(error.trailing)
        context.abort(*_status(method, error))
    except grpc.aio.InternalError:
        pass  # the call has ended already (the server is stopping): nobody is left to tell


async def _abort_on_loop(context: grpc.aio.ServicerContext, method: str, error: Exception) -> None:
    try:
        await context.abort(*_status(method, error), trailing_metadata=getattr(error, "trailing", ()))
    except grpc.aio.InternalError:
        pass  # the call has ended already


def _check_decoded(request: Any, message_type: type) -> None:
    if isinstance(request, _Malformed):
        raise ServiceError(Code.INVALID_ARGUMENT, f"malformed {message_type.__name__}: {request.error}")


def unary(method: str, behaviour: Behaviour, request_type: type) -> grpc.RpcMethodHandler:
    def handle(request, context):
        try:
            _check_decoded(request, request_type)
            return behaviour(request, context)
        except Exception as error:
            _abort(context, method, error)
    return grpc.unary_unary_rpc_method_handler(handle, _deserializer(request_type), _serialize)


def async_unary(method: str, behaviour: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]],
                request_type: type) -> grpc.RpcMethodHandler:
    """A unary method whose behaviour is a coroutine: it runs on the server's event loop."""
    async def handle(request, context):
        try:
            _check_decoded(request, request_type)
            return await behaviour(request, context)
        except Exception as error:
            await _abort_on_loop(context, method, error)
    return grpc.unary_unary_rpc_method_handler(handle, _deserializer(request_type), _serialize)


def async_server_stream(method: str, behaviour: Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]],
                        request_type: type) -> grpc.RpcMethodHandler:
    """A server-streaming method whose behaviour is an async generator, on the server's event loop."""
    async def handle(request, context):
        try:
            _check_decoded(request, request_type)
            async for response in behaviour(request, context):
                yield response
        except Exception as error:
            await _abort_on_loop(context, method, error)
    return grpc.unary_stream_rpc_method_handler(handle, _deserializer(request_type), _serialize)


def async_bidi_stream(method: str, behaviour: Callable[[AsyncIterator[Any], grpc.aio.ServicerContext], AsyncIterator[Any]],
                      request_type: type) -> grpc.RpcMethodHandler:
    """A bidirectional streaming method whose behaviour is an async generator over the
    incoming messages (each checked to decode first), on the server's event loop."""
    async def decoded(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for request in requests:
            _check_decoded(request, request_type)
            yield request

    async def handle(requests, context):
        try:
            async for response in behaviour(decoded(requests), context):
                yield response
        except Exception as error:
            await _abort_on_loop(context, method, error)
    return grpc.stream_stream_rpc_method_handler(handle, _deserializer(request_type), _serialize)


def add_service(server: grpc.Server, service_name: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
    """Serve `handlers` (method name -> handler) as the service `service_name`."""
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service_name, handlers),))
    server.add_registered_method_handlers(service_name, handlers)


def tenant_name(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == TENANT_METADATA:
            return value
    return DEFAULT_TENANT


async def hold_tenant_on_loop(context: grpc.aio.ServicerContext, tenants: Tenants) -> tuple[Tenant, Callable[[], None]]:
    """`hold_tenant` from a coroutine: on a thread of the loop's executor when
    getting the tenant may block (opening it, or a cluster node taking its lease)."""
    if tenants.ready(tenant_name(context)):
        return hold_tenant(context, tenants)
    return await asyncio.get_running_loop().run_in_executor(None, hold_tenant, context, tenants)


def hold_tenant(context: grpc.ServicerContext, tenants: Tenants) -> tuple[Tenant, Callable[[], None]]:
    """The tenant the call names in its `x-tenant` metadata (default: the default
    tenant), kept open until the returned release is called."""
    return hold_named_tenant(tenants, tenant_name(context))


def hold_named_tenant(tenants: Tenants, name: str) -> tuple[Tenant, Callable[[], None]]:
    try:
        return tenants.hold(name)
    except BadTenantName as error:
        raise ServiceError(Code.INVALID_ARGUMENT, str(error)) from None
    except UnknownTenant as error:
        raise ServiceError(Code.NOT_FOUND, str(error)) from None
