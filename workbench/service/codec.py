"""Messages to and from bytes: events for the event log (by full protobuf name),
and any message of the contracts in a `google.protobuf.Any` (for the spec
service and the event stream)."""

from __future__ import annotations

from typing import Any

from google.protobuf.any_pb2 import Any as AnyMessage

from workbench.core.registry import Registry
from workbench.service.event_log import LoggedEvent

TYPE_URL_PREFIX = "type.googleapis.com/"


class UnknownMessageType(LookupError):
    pass


class EventCodec:
    def __init__(self, registry: Registry):
        self._types = {event_type.DESCRIPTOR.full_name: event_type for event_type in registry.events()}

    @staticmethod
    def encode(event: Any) -> tuple[str, bytes]:
        return event.DESCRIPTOR.full_name, event.SerializeToString(deterministic=True)

    def decode(self, logged: LoggedEvent, where: str = "") -> Any:
        event_type = self._types.get(logged.type)
        if event_type is None:
            raise UnknownMessageType(f"{where}position {logged.position}: no feature applies {logged.type} events")
        return event_type.FromString(logged.data)

    @staticmethod
    def to_any(logged: LoggedEvent) -> AnyMessage:
        """The logged event as an Any, without decoding it."""
        return AnyMessage(type_url=TYPE_URL_PREFIX + logged.type, value=logged.data)


def pack(message: Any) -> AnyMessage:
    return AnyMessage(type_url=TYPE_URL_PREFIX + message.DESCRIPTOR.full_name,
                      value=message.SerializeToString(deterministic=True))


class AnyCodec:
    """Unpacks an Any into the contract message its type URL names."""

    def __init__(self, messages: dict[str, type]):
        self._types = {message.DESCRIPTOR.full_name: message for message in messages.values()}

    def unpack(self, packed: AnyMessage, what: str) -> Any:
        """Raises UnknownMessageType, or DecodeError for bad bytes; `what` names the field in errors."""
        full_name = packed.type_url.rpartition("/")[2]
        message_type = self._types.get(full_name)
        if message_type is None:
            raise UnknownMessageType(f"{what}: unknown message type {packed.type_url!r}")
        return message_type.FromString(packed.value)
