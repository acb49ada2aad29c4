"""How `bf test` tells what happened: a line per spec, the whole spec and its
differences for each failure, and `N passed, M failed` last."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TextIO

from pygments import highlight
from pygments.formatters import TerminalFormatter

from workbench.core.execute import Outcome
from workbench.core.ids import show_uids
from workbench.specs.compare import show_value
from workbench.specs.formatter import format_spec
from workbench.specs.lexer import SpecLexer
from workbench.specs.runner import ERROR, PASS, TIMEOUT, Verdict

_MARKS = {PASS: "PASS ", "fail": "FAIL ", ERROR: "ERROR", TIMEOUT: "TIME "}
_COLOURS = {PASS: "\x1b[32m", "fail": "\x1b[31m", ERROR: "\x1b[35m", TIMEOUT: "\x1b[33m"}
_RESET = "\x1b[0m"


def wants_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def relative(path: Path | None) -> str:
    if path is None:
        return "?"
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def where(verdict: Verdict) -> str:
    spec = verdict.spec
    return f"{relative(spec.path)}:{spec.line}" if spec.path else f"#{spec.number}"


class TextReport:
    def __init__(self, stream: TextIO = sys.stdout, colour: bool | None = None):
        self.stream = stream
        self.colour = wants_colour(stream) if colour is None else colour

    def verdict(self, verdict: Verdict) -> None:
        self.stream.write(f"{status_mark(verdict.status, self.colour)} {verdict.spec.name}  ({where(verdict)})\n")
        if not verdict.passed:
            self.stream.write(self._indent(failure_text(verdict, self.colour)) + "\n")

    def summary(self, passed: int, failed: int) -> None:
        self.stream.write(f"{passed} passed, {failed} failed\n")

    @staticmethod
    def _indent(text: str) -> str:
        return "\n".join("    " + line if line else "" for line in text.splitlines())


def status_mark(status: str, colour: bool = False) -> str:
    """`PASS `, `FAIL `, `ERROR` or `TIME ` (a timeout), coloured for a terminal."""
    return _COLOURS[status] + _MARKS[status] + _RESET if colour else _MARKS[status]


def failure_text(verdict: Verdict, colour: bool = False) -> str:
    """The whole spec (ids as UID(n)) and what went wrong: the text `y` copies in the TUI."""
    if verdict.spec.when is None:  # a spec of a file that does not parse: nothing to show but why
        return verdict.error
    spec_text = show_uids(format_spec(verdict.spec))
    if colour:
        spec_text = highlight(spec_text, SpecLexer(), TerminalFormatter())
    lines = [spec_text.rstrip("\n"), ""]
    if verdict.status in (ERROR, TIMEOUT):
        lines += ["crashed:" if verdict.status == ERROR else "timeout:", *verdict.error.rstrip().splitlines()]
    else:
        lines += ["differences:", *(f"  {d}" for d in verdict.differences)]
    return "\n".join(lines) + "\n"


def verdict_json(verdict: Verdict) -> dict:
    spec = verdict.spec
    return {
        "name": spec.name,
        "file": relative(spec.path) if spec.path else None,
        "line": spec.line,
        "number": spec.number,
        "status": verdict.status,
        "differences": [{"path": d.path, "expected": d.expected, "actual": d.actual} for d in verdict.differences],
        "error": verdict.error,
        "actual": outcome_json(verdict.outcome) if verdict.outcome is not None else None,
        "touched": sorted(verdict.touched),
        "seconds": round(verdict.seconds, 6),
    }


def outcome_json(outcome: Outcome) -> dict:
    """What the request really produced, as display text (ids as UID(n))."""
    return {
        "status": outcome.code.spec_name,
        "message": outcome.message,
        "response": show_value(outcome.response) if outcome.response is not None else None,
        "events": [show_value(event) for event in outcome.events],
    }


class JsonReport:
    """One JSON object per spec, one per line, for tools."""

    def __init__(self, stream: TextIO = sys.stdout):
        self.stream = stream

    def verdict(self, verdict: Verdict) -> None:
        self.stream.write(json.dumps(verdict_json(verdict)) + "\n")

    def summary(self, passed: int, failed: int) -> None:
        pass  # the exit code tells; every line stays one spec
