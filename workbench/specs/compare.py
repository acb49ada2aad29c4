"""Field-by-field differences between what a spec expects and what happened.

Every difference is a path with the expected and the actual value:
`Events[1].OnHand: expected 5, got 4`. Ids show as UID(n).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from workbench.core.codes import Code
from workbench.core.execute import Outcome
from workbench.core.ids import show_uids
from workbench.specs.message_text import message_line
from workbench.specs.model import Spec

NOTHING = "nothing"


@dataclass(frozen=True)
class Difference:
    path: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.path}: expected {self.expected}, got {self.actual}"


def compare(spec: Spec, outcome: Outcome) -> list[Difference]:
    differences: list[Difference] = []
    expected_code = spec.error.code if spec.error else Code.OK
    if outcome.code != expected_code:
        got = outcome.code.spec_name + (f" ({outcome.message})" if outcome.message else "")
        differences.append(Difference("Status", expected_code.spec_name, got))
    elif spec.error and spec.error.checked and spec.error.message and outcome.message != spec.error.message:
        differences.append(Difference("Status.message", show_value(spec.error.message), show_value(outcome.message)))
    elif spec.then is not None and outcome.response != spec.then:
        differences += _compare_messages("Response", spec.then, outcome.response)
    if outcome.events != spec.events:
        differences += compare_lists("Events", spec.events, outcome.events)
    return differences


def compare_lists(path: str, expected: list[Any], actual: list[Any]) -> list[Difference]:
    differences = []
    for index in range(max(len(expected), len(actual))):
        item_path = f"{path}[{index}]"
        if index >= len(actual):
            differences.append(Difference(item_path, show_value(expected[index]), f"{NOTHING} (missing)"))
        elif index >= len(expected):
            differences.append(Difference(item_path, f"{NOTHING} (extra)", show_value(actual[index])))
        elif expected[index] != actual[index]:
            differences += _compare_messages(item_path, expected[index], actual[index])
    return differences


def _compare_messages(path: str, expected: Any, actual: Any) -> list[Difference]:
    if actual is None or type(expected) is not type(actual):
        return [Difference(path, show_value(expected), show_value(actual))]
    differences = []
    for field in expected.DESCRIPTOR.fields:
        field_path = f"{path}.{field.name}"
        want, got = getattr(expected, field.name), getattr(actual, field.name)
        if want == got:
            continue
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            differences += _compare_maps(field_path, want, got)
        elif field.is_repeated:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                differences += compare_lists(field_path, list(want), list(got))
            else:
                differences += _compare_scalar_lists(field_path, list(want), list(got))
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            differences += _compare_messages(field_path, want, got)
        else:
            differences.append(Difference(field_path, show_value(want), show_value(got)))
    return differences


def _compare_scalar_lists(path: str, expected: list, actual: list) -> list[Difference]:
    differences = []
    for index in range(max(len(expected), len(actual))):
        want = show_value(expected[index]) if index < len(expected) else f"{NOTHING} (extra)"
        got = show_value(actual[index]) if index < len(actual) else f"{NOTHING} (missing)"
        if want != got:
            differences.append(Difference(f"{path}[{index}]", want, got))
    return differences


def _compare_maps(path: str, expected, actual) -> list[Difference]:
    differences = []
    for key in sorted(set(expected) | set(actual)):
        want = show_value(expected[key]) if key in expected else NOTHING
        got = show_value(actual[key]) if key in actual else NOTHING
        if want != got:
            differences.append(Difference(f"{path}[{key!r}]", want, got))
    return differences


def show_value(value: Any) -> str:
    if value is None:
        return NOTHING
    if hasattr(value, "DESCRIPTOR"):
        return show_uids(message_line(value))
    if isinstance(value, str):
        return show_uids(f'"{value}"')
    return str(value)
