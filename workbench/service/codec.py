"""Events to and from the bytes the event log keeps, by their full protobuf name."""

from __future__ import annotations

from typing import Any

from google.protobuf.any_pb2 import Any as AnyMessage

from workbench.core.registry import Registry
from workbench.service.event_log import LoggedEvent

TYPE_URL_PREFIX = "type.googleapis.com/"


class UnknownEventType(LookupError):
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
            raise UnknownEventType(
                f"{where}position {logged.position}: no feature applies {logged.type} events")
        return event_type.FromString(logged.data)

    @staticmethod
    def to_any(logged: LoggedEvent) -> AnyMessage:
        """The event as a `google.protobuf.Any`, without decoding it."""
        return AnyMessage(type_url=TYPE_URL_PREFIX + logged.type, value=logged.data)
