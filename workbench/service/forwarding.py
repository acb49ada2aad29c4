"""A call for a tenant another node serves: forwarded to it, or refused with its address.

A cluster node (workbench/cluster/) raises `TenantElsewhere` when it does not
own the tenant and cannot take it. The domain's unary calls are then forwarded
once to the owner with the caller's metadata (its tenant, and its credentials
when the server checks them), marked so the owner never forwards them again; a
call the owner cannot take, or a stream, gets UNAVAILABLE with the owner's
address in the trailing metadata `x-bf-owner`, which the shipped clients follow.
"""

from __future__ import annotations

from typing import Any, Callable

import grpc

from workbench.core.codes import Code
from workbench.service.limits import MAX_MESSAGE_BYTES
from workbench.service.rpc import ServiceError

OWNER_METADATA = "x-bf-owner"
FORWARDED_METADATA = "x-bf-forwarded"
FORWARD_SECONDS = 10.0  # the longest a forwarded call waits for the owner (when the caller set no deadline)
_NOT_PASSED_ON = {FORWARDED_METADATA, "user-agent", "grpc-accept-encoding", "grpc-timeout"}


class TenantElsewhere(ServiceError):
    def __init__(self, tenant: str, address: str, forwarder: "Forwarder | None" = None):
        where = f"node {address}" if address else "another node"
        super().__init__(Code.UNAVAILABLE, f"tenant {tenant!r} is served by {where}: send its requests there",
                         ((OWNER_METADATA, address),) if address else ())
        self.tenant, self.address, self.forwarder = tenant, address, forwarder

    async def forward(self, path: str, request: Any, response_type: type, context: grpc.aio.ServicerContext) -> Any:
        """The owner's answer to the call (`path`: /package.Service/Method), or this refusal."""
        if self.forwarder is None:
            raise self
        return await self.forwarder.forward(self, path, request, response_type, context)


class Forwarder:
    """One channel per owner's address, on the server's loop."""

    def __init__(self, credentials: grpc.ChannelCredentials | None = None,
                 on_refused: Callable[[str], None] | None = None):
        """`on_refused(address)`: the owner at `address` refused the connection (nothing listens there)."""
        self._credentials = credentials
        self._on_refused = on_refused
        self._channels: dict[str, grpc.aio.Channel] = {}

    async def forward(self, elsewhere: TenantElsewhere, path: str, request: Any, response_type: type,
                      context: grpc.aio.ServicerContext) -> Any:
        metadata = tuple(context.invocation_metadata() or ())
        if not elsewhere.address or any(key == FORWARDED_METADATA for key, _ in metadata):
            raise elsewhere
        passed_on = tuple((k, v) for k, v in metadata if k not in _NOT_PASSED_ON) + ((FORWARDED_METADATA, "1"),)
        remaining = context.time_remaining()
        call = self._channel(elsewhere.address).unary_unary(
            path, request_serializer=type(request).SerializeToString, response_deserializer=response_type.FromString)
        try:
            return await call(request, metadata=passed_on,
                              timeout=min(remaining, FORWARD_SECONDS) if remaining else FORWARD_SECONDS)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNAVAILABLE and "Connection refused" in (error.details() or ""):
                if self._on_refused is not None:
                    self._on_refused(elsewhere.address)
                raise ServiceError(Code.UNAVAILABLE, f"{elsewhere.message}; it is not listening (down or restarting)",
                                   elsewhere.trailing) from None
            if error.code() == grpc.StatusCode.UNAVAILABLE and not _has_owner(error):
                # The owner is out of reach (it may have died mid-call): the caller retries, here or there.
                raise ServiceError(Code.UNAVAILABLE, f"{elsewhere.message}; it did not answer: {error.details()}",
                                   elsewhere.trailing) from None
            raise ServiceError(Code(error.code().value[0]), error.details() or "",
                               tuple(error.trailing_metadata() or ())) from None

    def _channel(self, address: str) -> grpc.aio.Channel:
        channel = self._channels.get(address)
        if channel is None:
            options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                       # an owner that restarts is dialled again within a second, not after minutes of backoff
                       ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
                       ("grpc.max_reconnect_backoff_ms", 1000)]
            channel = (grpc.aio.secure_channel(address, self._credentials, options) if self._credentials
                       else grpc.aio.insecure_channel(address, options))
            self._channels[address] = channel
        return channel

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


def _has_owner(error: grpc.aio.AioRpcError) -> bool:
    return any(key == OWNER_METADATA for key, _ in error.trailing_metadata() or ())


def owner_of(error: grpc.RpcError) -> str | None:
    """The owner's address an UNAVAILABLE answer names, for clients that follow it."""
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == OWNER_METADATA:
            return value
    return None
