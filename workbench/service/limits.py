"""Bounds on what one request may carry, checked before any handler runs.

gRPC already refuses a message over `MAX_MESSAGE_BYTES` (RESOURCE_EXHAUSTED);
within it, a text field longer than `MAX_TEXT` characters (or the allowance a
feature declares for it in TEXT_LIMITS) or a list longer than `MAX_ITEMS` is
INVALID_ARGUMENT, naming the field.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from workbench.core.codes import Code
from workbench.service.rpc import ServiceError

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Incoming metadata the server reads whole, so that an oversized header (a 10,000-character
# x-tenant) reaches the checks and gets INVALID_ARGUMENT, instead of gRPC's default limits
# refusing it with RESOURCE_EXHAUSTED at random between 8 and 16 KiB.
MAX_METADATA_BYTES = 64 * 1024
MAX_TEXT = 1024
MAX_ITEMS = 10_000


def check_limits(message: Any, allowances: dict[str, int] | None = None) -> None:
    """`allowances`: full field name -> characters allowed, where a field may hold more than MAX_TEXT."""
    allowances = allowances or {}
    # Most requests are small: a message of n bytes holds no text longer than n
    # characters and no list longer than n items, so it needs no walk.
    if message.ByteSize() <= min([MAX_TEXT, *allowances.values()]):
        return
    _check_fields(message, allowances, "")


def _check_fields(message: Any, allowances: dict[str, int], path: str) -> None:
    for field, value in message.ListFields():
        name = f"{path}{field.name}"
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            _check_count(name, value)
            for key, item in value.items():
                _check_value(f"{name}[{str(key)[:20]!r}]", field.message_type.fields_by_name["value"], item, allowances)
                if isinstance(key, str):
                    _check_text(f"{name} key", key)
        elif field.is_repeated:
            _check_count(name, value)
            for index, item in enumerate(value):
                _check_value(f"{name}[{index}]", field, item, allowances)
        else:
            _check_value(name, field, value, allowances)


def _check_value(name: str, field: FieldDescriptor, value: Any, allowances: dict[str, int]) -> None:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        _check_fields(value, allowances, name + ".")
    elif isinstance(value, (str, bytes)):
        _check_text(name, value, allowances.get(field.full_name, MAX_TEXT))


def _check_text(name: str, value: str | bytes, limit: int = MAX_TEXT) -> None:
    if len(value) > limit:
        raise ServiceError(Code.INVALID_ARGUMENT, f"'{name}' is {len(value)} characters long; at most {limit}")


def _check_count(name: str, value: Any) -> None:
    if len(value) > MAX_ITEMS:
        raise ServiceError(Code.INVALID_ARGUMENT, f"'{name}' has {len(value)} items; at most {MAX_ITEMS}")
