"""Write specs back as text: formatting a parsed spec file gives back the same file."""

from __future__ import annotations

from workbench.specs.message_text import message_line
from workbench.specs.model import Spec, SpecFile

DASHES = "-" * 42
SEPARATOR = "=" * 42


def format_spec_file(spec_file: SpecFile) -> str:
    lines: list[str] = []
    if spec_file.header:
        lines += [*spec_file.header, ""]
    for index, spec in enumerate(spec_file.specs):
        if index:
            lines.append(SEPARATOR)
        lines += spec_lines(spec)
    return "\n".join(lines) + "\n"


def format_spec(spec: Spec) -> str:
    return "\n".join(spec_lines(spec)) + "\n"


def spec_lines(spec: Spec) -> list[str]:
    if spec.when is None:  # a spec of a file that does not parse: its name is all there is
        return [spec.name, DASHES, "// its spec file does not parse", ""]
    lines = [spec.name, DASHES, *spec.comments, "GIVEN:", *_indented(spec.given), "WHEN:", *_indented([spec.when])]
    if spec.error is not None:
        code = spec.error.code.spec_name
        lines += ["ERROR:", f"  {code}: {spec.error.message}" if spec.error.message else f"  {code}"]
    else:
        lines += ["THEN:", *_indented([spec.then])]
    if spec.events:
        lines += ["EVENTS:", *_indented(spec.events)]
    lines.append("")
    return lines


def _indented(messages) -> list[str]:
    return ["  " + message_line(message) for message in messages]
