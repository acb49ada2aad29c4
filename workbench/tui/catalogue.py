"""The event catalogue, without Textual: every request, response and event
type with its fields, the feature that serves it, and the specs that use it."""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.descriptor import FieldDescriptor

from workbench.core.registry import Registry
from workbench.tui.spec_index import SpecEntry

REQUEST, RESPONSE, EVENT, OTHER, INFRA = "request", "response", "event", "other", "infra"
KINDS = (REQUEST, RESPONSE, EVENT, OTHER, INFRA)  # INFRA: the workbench's own services, never a feature's

_SCALARS = {value: name.removeprefix("TYPE_").lower() for name, value in vars(FieldDescriptor).items()
            if name.startswith("TYPE_")}


@dataclass
class FieldInfo:
    name: str
    type: str

    def __str__(self) -> str:
        return f"{self.name}: {self.type}"


@dataclass
class MessageInfo:
    name: str
    kind: str
    fields: list[FieldInfo]
    feature: str | None  # the module whose handler or applier takes it
    spec_ids: list[str] = field(default_factory=list)


def field_type(descriptor: FieldDescriptor) -> str:
    if descriptor.type == FieldDescriptor.TYPE_MESSAGE and descriptor.message_type.GetOptions().map_entry:
        key, value = descriptor.message_type.fields
        return f"map<{field_type(key)}, {field_type(value)}>"
    if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
        name = descriptor.message_type.name
    elif descriptor.type == FieldDescriptor.TYPE_ENUM:
        name = descriptor.enum_type.name
    else:
        name = _SCALARS[descriptor.type]
    return f"repeated {name}" if descriptor.is_repeated else name


def domain_messages(registry: Registry) -> set[str]:
    """The full names of the domain's messages: what features handle and apply, the
    responses the services answer those requests with, and every type nested in them.
    The rest (tenancy, the spec service, ...) is infrastructure."""
    roots = [t.DESCRIPTOR for t in (*registry.handlers, *registry.appliers)]
    requests = {t.DESCRIPTOR.full_name for t in registry.handlers}
    for descriptor in list(roots):
        for service in descriptor.file.services_by_name.values():
            roots += [m.output_type for m in service.methods if m.input_type.full_name in requests]
    seen: set[str] = set()
    while roots:
        descriptor = roots.pop()
        if descriptor.full_name in seen:
            continue
        seen.add(descriptor.full_name)
        roots += [f.message_type for f in descriptor.fields if f.message_type is not None]
    return seen


def kind_of(message_type: type, registry: Registry, domain: set[str] | None = None) -> str:
    if domain is not None and message_type.DESCRIPTOR.full_name not in domain:
        return INFRA
    if message_type in registry.handlers:
        return REQUEST
    if message_type in registry.appliers:
        return EVENT
    if message_type.DESCRIPTOR.name.endswith(("Resp", "Response")):
        return RESPONSE
    return OTHER


def build_catalogue(registry: Registry, entries: list[SpecEntry]) -> list[MessageInfo]:
    """Requests, responses, events, then the rest; by name within each kind."""
    users: dict[str, list[str]] = {}
    for entry in entries:
        for name in dict.fromkeys(type(m).DESCRIPTOR.name for m in entry.spec.messages()):
            users.setdefault(name, []).append(entry.spec_id)
    infos = []
    domain = domain_messages(registry)
    for name, message_type in registry.messages.items():
        feature = registry.feature_of.get(message_type)
        infos.append(MessageInfo(
            name,
            kind_of(message_type, registry, domain),
            [FieldInfo(f.name, field_type(f)) for f in message_type.DESCRIPTOR.fields],
            feature.module if feature else None,
            users.get(name, []),
        ))
    infos.sort(key=lambda info: (KINDS.index(info.kind), info.name))
    return infos
