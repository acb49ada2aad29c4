"""A spec: given events, when a request, then a response or an error, and the events produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.codes import Code
from workbench.core.ids import spec_uid_number


@dataclass
class ExpectedError:
    code: Code
    message: str = ""
    checked: bool = True  # the message must be the one produced; a kata bundle's is documentation only


@dataclass
class Spec:
    name: str
    given: list[Any]
    when: Any
    then: Any | None = None
    error: ExpectedError | None = None
    events: list[Any] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # raw `//` lines: the spec's documentation
    path: Path | None = None
    line: int = 0  # the line of the spec's name
    number: int = 0  # 1, 2, ... in file order
    _next_uid: int | None = field(default=None, repr=False, compare=False)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"#{self.number}"

    @property
    def next_uid(self) -> int:
        """One more than the highest spec-mode id among the given events."""
        if self._next_uid is None:
            highest = 0
            for event in self.given:
                for value in string_values(event):
                    number = spec_uid_number(value)
                    if number is not None and number > highest:
                        highest = number
            self._next_uid = highest + 1
        return self._next_uid

    def messages(self) -> list[Any]:
        """Every message the spec names, in file order."""
        return [*self.given, *([self.when] if self.when is not None else []),
                *([self.then] if self.then is not None else []), *self.events]


@dataclass
class SpecFile:
    path: Path | None
    specs: list[Spec]
    header: list[str] = field(default_factory=list)  # `//` lines before the first spec: the feature's documentation


def string_values(message: Any):
    """Every string in `message`, nested messages and repeated fields included."""
    for descriptor, value in message.ListFields():
        if descriptor.type == descriptor.TYPE_STRING:
            if descriptor.is_repeated:
                yield from value
            else:
                yield value
        elif descriptor.type == descriptor.TYPE_MESSAGE:
            if descriptor.message_type.GetOptions().map_entry:
                for key in value:
                    yield str(key)
                    item = value[key]
                    if isinstance(item, str):
                        yield item
            elif descriptor.is_repeated:
                for item in value:
                    yield from string_values(item)
            else:
                yield from string_values(value)
