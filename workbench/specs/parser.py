"""Parse the kata's spec text format.

    spec name
    ------------------------------------------
    // comments: the spec's documentation
    GIVEN:
      EventName field:"value"
    WHEN:
      RequestName field:"value"
    THEN:                       (or ERROR: CodeName: message)
      ResponseName field:"value"
    EVENTS:                     (optional)
      EventName field:"value"
    ==========================================

`//` lines before the first spec document the whole file (the feature).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from google.protobuf import text_format

from workbench.core.codes import Code
from workbench.specs.errors import SpecSyntaxError, closest
from workbench.specs.model import ExpectedError, Spec, SpecFile

_DASHES = re.compile(r"-{3,}\s*")
_SEPARATOR = re.compile(r"={3,}\s*")
_SECTIONS = ("GIVEN:", "WHEN:", "THEN:", "ERROR:", "EVENTS:")
_UNKNOWN_FIELD = re.compile(r'has no field named "([^"]+)"')

SPEC_SUFFIX = ".spec"


def parse_spec_file(path: Path, messages: dict[str, type], check_messages: bool | None = None) -> SpecFile:
    """`check_messages`: an ERROR line's message is checked too; by default in `.spec` files only (a
    kata bundle's contract checks the code alone, its messages are documentation)."""
    if check_messages is None:
        check_messages = path.suffix == SPEC_SUFFIX
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecSyntaxError(path, 0, f"cannot read the file: {error}") from None
    return parse_specs(text, messages, path, check_messages)


def parse_specs(text: str, messages: dict[str, type], path: Path | None = None,
                check_messages: bool = True) -> SpecFile:
    header, chunks = _split(text)
    specs = [_SpecReader(chunk, messages, path, check_messages).read(number)
             for number, chunk in enumerate(chunks, start=1)]
    return SpecFile(path, specs, header)


def outline(path: Path) -> list[Spec]:
    """The specs of a file that does not parse, as far as they can be told apart:
    each one's name, line and number, nothing else (so each can be counted and
    shown as an error). A file that cannot be read at all is one spec."""
    try:
        _, chunks = _split(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        chunks = []
    specs = []
    for number, chunk in enumerate(chunks, start=1):
        line, name = next(((n, text.strip()) for n, text in chunk if text.strip()))
        specs.append(Spec(name=name, given=[], when=None, path=path, line=line, number=number))
    return specs or [Spec(name=path.name, given=[], when=None, path=path, line=0, number=1)]


def _split(text: str) -> tuple[list[str], list[list[tuple[int, str]]]]:
    """The file's header, and each spec's lines (numbered), split at the separators."""
    chunks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(text.splitlines(), start=1):
        if _SEPARATOR.fullmatch(line):
            chunks.append([])
        else:
            chunks[-1].append((number, line))
    header = _take_header(chunks[0])
    # an empty chunk is a stray separator, or one at the very end
    return header, [chunk for chunk in chunks if any(line.strip() for _, line in chunk)]


def _take_header(chunk: list[tuple[int, str]]) -> list[str]:
    """Remove the leading `//` lines (and blank lines) of the file from `chunk`."""
    header, taken = [], 0
    for _, line in chunk:
        stripped = line.strip()
        if stripped.startswith("//"):
            header.append(line.rstrip())
        elif stripped:
            break
        taken += 1
    del chunk[:taken]
    return header


class _SpecReader:
    def __init__(self, chunk: list[tuple[int, str]], messages: dict[str, type], path: Path | None,
                 check_messages: bool):
        self.lines = [(n, line) for n, line in chunk]
        self.messages = messages
        self.path = path
        self.check_messages = check_messages

    def error(self, line: int, message: str, hint: str | None = None) -> SpecSyntaxError:
        return SpecSyntaxError(self.path, line, message, hint)

    def read(self, number: int) -> Spec:
        lines = [(n, line) for n, line in self.lines if line.strip()]
        name_line, name = lines[0]
        name = name.strip()
        if name in _SECTIONS or name.startswith("//"):
            raise self.error(name_line, f"expected a spec name followed by a line of dashes, got '{name}'")
        if len(lines) < 2 or not _DASHES.fullmatch(lines[1][1].strip()):
            raise self.error(name_line + 1, f"expected a line of dashes under the spec name '{name}'")
        spec = Spec(name=name, given=[], when=None, path=self.path, line=name_line, number=number)
        section = None
        seen: list[str] = []
        for line_number, line in lines[2:]:
            stripped = line.strip()
            if stripped.startswith("//"):
                if seen:
                    raise self.error(line_number, "comments go right under the spec's line of dashes, before GIVEN:")
                spec.comments.append(line.rstrip())
                continue
            if stripped in _SECTIONS:
                section = self._enter(stripped, seen, line_number)
                continue
            if stripped.upper().rstrip(":") + ":" in _SECTIONS:
                raise self.error(line_number, f"unknown section '{stripped}'", stripped.upper().rstrip(":") + ":")
            self._add(spec, section, stripped, line_number)
        self._require_complete(spec, seen, name_line)
        return spec

    def _enter(self, section: str, seen: list[str], line: int) -> str:
        if section in seen:
            raise self.error(line, f"{section} appears twice in one spec")
        order = {s: i for i, s in enumerate(_SECTIONS)}
        if seen and order[section] < order[seen[-1]] or section in ("THEN:", "ERROR:") and ("THEN:" in seen or "ERROR:" in seen):
            raise self.error(line, f"{section} cannot come after {seen[-1]}; the order is GIVEN, WHEN, THEN or ERROR, EVENTS")
        if section in ("THEN:", "ERROR:", "EVENTS:") and "WHEN:" not in seen:
            raise self.error(line, f"{section} needs a WHEN: before it")
        seen.append(section)
        return section

    def _add(self, spec: Spec, section: str | None, text: str, line: int) -> None:
        if section is None:
            raise self.error(line, f"expected GIVEN: or WHEN:, got '{text}'")
        if section == "ERROR:":
            if spec.error is not None:
                raise self.error(line, "ERROR: takes one line: CodeName: message")
            spec.error = self._expected_error(text, line)
            return
        message = self._message(text, line)
        if section == "GIVEN:":
            spec.given.append(message)
        elif section == "EVENTS:":
            spec.events.append(message)
        elif section == "WHEN:":
            if spec.when is not None:
                raise self.error(line, "WHEN: takes exactly one request")
            spec.when = message
        elif section == "THEN:":
            if spec.then is not None:
                raise self.error(line, "THEN: takes exactly one response")
            spec.then = message

    def _require_complete(self, spec: Spec, seen: list[str], line: int) -> None:
        if spec.when is None:
            raise self.error(line, f"spec '{spec.name}' has no request under WHEN:")
        if spec.then is None and spec.error is None:
            raise self.error(line, f"spec '{spec.name}' has neither THEN: with a response nor ERROR: with a status")

    def _message(self, text: str, line: int) -> Any:
        name, _, body = text.partition(" ")
        message_type = self.messages.get(name)
        if message_type is None:
            raise self.error(line, f"unknown message {name}", closest(name, self.messages))
        message = message_type()
        try:
            text_format.Parse(body, message)
        except text_format.ParseError as error:
            raise self._body_error(name, message_type, error, line) from None
        return message

    def _body_error(self, name: str, message_type: type, error: text_format.ParseError, line: int) -> SpecSyntaxError:
        detail = str(error).split(" : ", 1)[-1].rstrip(".")
        column = error.GetColumn() if hasattr(error, "GetColumn") else None
        where = f" (column {len(name) + 1 + column})" if column else ""
        unknown = _UNKNOWN_FIELD.search(detail)
        hint = None
        if unknown:
            hint = closest(unknown.group(1), _all_field_names(message_type.DESCRIPTOR))
        return self.error(line, f"bad {name}{where}: {detail}", hint)

    def _expected_error(self, text: str, line: int) -> ExpectedError:
        name, _, message = text.partition(":")
        code = Code.from_spec_name(name.strip())
        if code is None:
            raise self.error(line, f"unknown status code {name.strip()}", closest(name.strip(), Code.spec_names()))
        return ExpectedError(code, message.strip(), self.check_messages)


def _all_field_names(descriptor) -> set[str]:
    names, stack, seen = set(), [descriptor], set()
    while stack:
        current = stack.pop()
        if current.full_name in seen:
            continue
        seen.add(current.full_name)
        for field in current.fields:
            names.add(field.name)
            if field.message_type is not None:
                stack.append(field.message_type)
    return names
