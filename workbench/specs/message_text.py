"""Messages as one line of protobuf text format, written the kata's way: `name:"x" locs:{name:"y"}`."""

from __future__ import annotations

from typing import Any

from google.protobuf import text_encoding
from google.protobuf.descriptor import FieldDescriptor


def message_line(message: Any) -> str:
    """`AddProductsReq skus:"one"`: the message's short name, then its body."""
    body = message_body(message)
    name = message.DESCRIPTOR.name
    return f"{name} {body}" if body else name


def message_body(message: Any) -> str:
    parts = []
    for descriptor, value in sorted(message.ListFields(), key=lambda pair: pair[0].number):
        name = descriptor.name
        if descriptor.type == FieldDescriptor.TYPE_MESSAGE and descriptor.message_type.GetOptions().map_entry:
            value_field = descriptor.message_type.fields_by_name["value"]
            for key in sorted(value):
                parts.append(f"{name}:{{key:{_scalar(descriptor.message_type.fields_by_name['key'], key)} "
                             f"value:{_value(value_field, value[key])}}}")
        elif descriptor.is_repeated:
            parts.extend(f"{name}:{_value(descriptor, item)}" for item in value)
        else:
            parts.append(f"{name}:{_value(descriptor, value)}")
    return " ".join(parts)


def _value(descriptor: FieldDescriptor, value: Any) -> str:
    if descriptor.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        return "{" + message_body(value) + "}"
    return _scalar(descriptor, value)


def _scalar(descriptor: FieldDescriptor, value: Any) -> str:
    kind = descriptor.type
    if kind == FieldDescriptor.TYPE_STRING:
        return '"' + text_encoding.CEscape(value, as_utf8=True) + '"'
    if kind == FieldDescriptor.TYPE_BYTES:
        return '"' + text_encoding.CEscape(value, as_utf8=False) + '"'
    if kind == FieldDescriptor.TYPE_BOOL:
        return "true" if value else "false"
    if kind == FieldDescriptor.TYPE_ENUM:
        enum_value = descriptor.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value else str(value)
    return repr(value) if isinstance(value, float) else str(value)
