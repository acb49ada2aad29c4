"""Bounds on what one request may carry, checked before any handler runs.

gRPC already refuses a message over `MAX_MESSAGE_BYTES` (RESOURCE_EXHAUSTED);
within it, a text field longer than `MAX_TEXT` characters or a list longer than
`MAX_ITEMS` is INVALID_ARGUMENT, naming the field.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from workbench.core.codes import Code
from workbench.service.rpc import ServiceError

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_TEXT = 1024
MAX_ITEMS = 10_000


def check_limits(message: Any, path: str = "") -> None:
    for field, value in message.ListFields():
        name = f"{path}{field.name}"
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            _check_count(name, value)
            for key, item in value.items():
                _check_value(f"{name}[{str(key)[:20]!r}]", field.message_type.fields_by_name["value"], item)
                if isinstance(key, str):
                    _check_text(f"{name} key", key)
        elif field.is_repeated:
            _check_count(name, value)
            for index, item in enumerate(value):
                _check_value(f"{name}[{index}]", field, item)
        else:
            _check_value(name, field, value)


def _check_value(name: str, field: FieldDescriptor, value: Any) -> None:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        check_limits(value, name + ".")
    elif isinstance(value, (str, bytes)):
        _check_text(name, value)


def _check_text(name: str, value: str | bytes) -> None:
    if len(value) > MAX_TEXT:
        raise ServiceError(Code.INVALID_ARGUMENT, f"'{name}' is {len(value)} characters long; at most {MAX_TEXT}")


def _check_count(name: str, value: Any) -> None:
    if len(value) > MAX_ITEMS:
        raise ServiceError(Code.INVALID_ARGUMENT, f"'{name}' has {len(value)} items; at most {MAX_ITEMS}")
