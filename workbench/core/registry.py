"""The one place that knows which handler serves which request and which
applier applies which event.

It is built by reading the feature modules of the domain: each declares
`HANDLERS = {RequestType: handler}` and `APPLIERS = {EventType: applier}`,
and may declare `TEXT_LIMITS = {"package.Message.field": characters}` for a
text field that may be longer than the service's usual bound.
Nothing registers itself by side effect, and nothing else lists the features:
the spec runner, the gRPC service, perf and stress all dispatch through here.
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from google.protobuf.message import Message

from workbench.core.transaction import Applier

Handler = Callable[[Any, Any], Any]


class RegistryError(Exception):
    pass


@dataclass
class Feature:
    module: str
    path: Path
    handlers: dict[type, Handler] = field(default_factory=dict)
    appliers: dict[type, Applier] = field(default_factory=dict)
    text_limits: dict[str, int] = field(default_factory=dict)


@dataclass
class BrokenFeature:
    """A feature module that failed to import; its requests have no handler."""

    module: str
    path: Path
    error: str  # one line: file, line and what went wrong
    traceback: str


@dataclass
class Registry:
    features: list[Feature]
    broken: list[BrokenFeature]
    messages: dict[str, type[Message]]  # short name -> message class
    handlers: dict[type, Handler] = field(default_factory=dict)
    appliers: dict[type, Applier] = field(default_factory=dict)
    feature_of: dict[type, Feature] = field(default_factory=dict)  # request or event type -> its feature
    text_limits: dict[str, int] = field(default_factory=dict)  # full field name -> characters allowed

    def __post_init__(self):
        for feature in self.features:
            self.text_limits.update(feature.text_limits)
            for table, own in ((self.handlers, feature.handlers), (self.appliers, feature.appliers)):
                for message_type, function in own.items():
                    if message_type in table:
                        other = self.feature_of[message_type]
                        raise RegistryError(
                            f"{message_type.__name__} is claimed by both {other.path} and {feature.path}"
                        )
                    table[message_type] = function
                    self.feature_of[message_type] = feature

    def handler_for(self, request_type: type) -> Handler | None:
        return self.handlers.get(request_type)

    def requests(self) -> list[type]:
        return list(self.handlers)

    def events(self) -> list[type]:
        return list(self.appliers)

    def why_missing(self, message_type: type) -> str:
        """Explain a request or event with no feature: unknown, or its feature is broken."""
        kind = "handler" if message_type.__name__.endswith(("Req", "Request")) else "applier"
        text = f"no feature has a {kind} for {message_type.__name__}"
        if self.broken:
            text += "; broken feature(s): " + "; ".join(b.error for b in self.broken)
        return text


def discover(features_package: str, contracts_package: str) -> Registry:
    """Import every module under `features_package` and read its declarations.

    A module that fails to import is kept as a BrokenFeature, so one broken
    file costs only the specs that need it. So is a second claim on a request
    or event (a feature copied, say): neither claimant serves it, and what
    needs it says why, instead of the whole domain failing to load.
    """
    package = importlib.import_module(features_package)
    features: list[Feature] = []
    broken: list[BrokenFeature] = []
    for info in sorted(pkgutil.walk_packages(package.__path__, features_package + "."), key=lambda i: i.name):
        if info.ispkg:
            continue
        path = _module_path(info)
        try:
            module = importlib.import_module(info.name)
        except Exception as error:  # a broken feature must not break the others
            broken.append(BrokenFeature(info.name, path, describe_import_error(path, error), traceback.format_exc()))
            continue
        handlers = getattr(module, "HANDLERS", {})
        appliers = getattr(module, "APPLIERS", {})
        if handlers or appliers:
            text_limits = dict(getattr(module, "TEXT_LIMITS", {}))
            features.append(Feature(info.name, path, dict(handlers), dict(appliers), text_limits))
    broken += _drop_conflicts(features)
    return Registry(features, broken, contract_messages(contracts_package))


def _drop_conflicts(features: list[Feature]) -> list[BrokenFeature]:
    """Remove every request or event claimed by two features from both; one BrokenFeature per conflict."""
    claims: dict[type, list[Feature]] = {}
    for feature in features:
        for message_type in [*feature.handlers, *feature.appliers]:
            claims.setdefault(message_type, []).append(feature)
    conflicts = []
    for message_type, claimants in claims.items():
        if len(claimants) < 2:
            continue
        for feature in claimants:
            feature.handlers.pop(message_type, None)
            feature.appliers.pop(message_type, None)
        paths = " and ".join(str(f.path) for f in claimants)
        last = claimants[-1]
        conflicts.append(BrokenFeature(last.module, last.path, f"{message_type.__name__} is claimed by both {paths}", ""))
    return conflicts


def contract_messages(contracts_package: str) -> dict[str, type[Message]]:
    """Every top-level message of the contracts, by short name."""
    package = importlib.import_module(contracts_package)
    messages: dict[str, type[Message]] = {}
    for info in pkgutil.iter_modules(package.__path__, contracts_package + "."):
        if not info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(info.name)
        for name in module.DESCRIPTOR.message_types_by_name:
            if name in messages:
                raise RegistryError(f"message {name} is defined twice in {contracts_package}; spec names must be unique")
            messages[name] = getattr(module, name)
    return messages


def describe_import_error(path: Path, error: BaseException) -> str:
    if isinstance(error, SyntaxError):  # in the feature, or in a module it imports
        return f"{error.filename or path}:{error.lineno}: SyntaxError: {error.msg}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
    line = f":{frames[-1].lineno}" if frames else ""
    return f"{path}{line}: {type(error).__name__}: {error}"


def _module_path(info: pkgutil.ModuleInfo) -> Path:
    finder_path = Path(getattr(info.module_finder, "path", "."))
    return finder_path / (info.name.rsplit(".", 1)[-1] + ".py")
