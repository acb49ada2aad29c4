"""What the README and docs/ show is real: every `bf ...` command line they show
is one the CLI accepts (its subcommand and every option), every `[tool.bf]`
setting they list exists, and every environment variable they list is read."""

from __future__ import annotations

import argparse
import functools
import re

import pytest

from tests.conftest import ROOT
from workbench import config
from workbench.cli import build_parser

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_SPAN = re.compile(r"`(bf(?: [^`]*)?)`")
_FENCED = re.compile(r"^```(?:sh|console|bash)?\n(.*?)^```", re.MULTILINE | re.DOTALL)
_OPTION = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


def shown_commands() -> list[tuple[str, str]]:
    """(page, command line) for every `bf ...` in a code span or a shell block."""
    found = []
    for page in PAGES:
        text = page.read_text()
        found += [(page.name, span) for span in _SPAN.findall(text)]
        for block in _FENCED.findall(text):
            for line in block.splitlines():
                for part in re.split(r"&&|\|\||;", line):
                    part = part.strip().removeprefix("$ ")
                    if part.startswith("bf ") or part == "bf":
                        found.append((page.name, part))
    return found


@functools.cache
def parser() -> argparse.ArgumentParser:
    return build_parser()


def subcommands(parser_: argparse.ArgumentParser | None = None) -> dict[str, argparse.ArgumentParser]:
    """The commands of `parser_` (default: bf's own), {} when it has none."""
    action = next((a for a in (parser_ or parser())._actions if isinstance(a, argparse._SubParsersAction)), None)
    return action.choices if action else {}


def test_the_docs_show_commands_to_check():
    commands = shown_commands()
    assert len(commands) > 30 and any(line.startswith("bf explore SPEC") for _, line in commands)


@pytest.mark.parametrize("page, line", shown_commands(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_command_shown_is_one_the_cli_accepts(page, line):
    words = line.split()[1:]
    global_options = set(parser()._option_string_actions)
    while words and words[0] in global_options:  # `bf --project DIR ...`
        words = words[2:]
    if not words or not re.fullmatch(r"[a-z]+", words[0]):
        return  # `bf` alone opens the app
    known = subcommands()
    assert words[0] in known, f"{page}: `{line}`: bf has no command {words[0]!r}"
    command, words = known[words[0]], words[1:]
    while words and words[0] in subcommands(command):  # `bf tokens create ...`, `bf cluster up ...`
        command, words = subcommands(command)[words[0]], words[1:]
    accepted = set(command._option_string_actions) | global_options
    shown = set(_OPTION.findall(" ".join(words)))
    assert shown <= accepted, f"{page}: `{line}`: {command.prog} does not accept {sorted(shown - accepted)}"


def table_names(text: str, header: str) -> list[str]:
    """The first column's `names` of the Markdown table whose header row holds `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|") and header in line)
    names = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        names += re.findall(r"`([^`]+)`", line.split("|")[1])
    return names


def test_every_setting_listed_exists():
    listed = table_names((ROOT / "README.md").read_text(), "`[tool.bf]` setting")
    assert listed and set(listed) <= set(config._FIELDS)


def test_every_environment_variable_listed_is_read():
    listed = table_names((ROOT / "README.md").read_text(), "environment variable")
    code = "\n".join(path.read_text() for path in [*(ROOT / "workbench").rglob("*.py"), *(ROOT / "domain").rglob("*.py")])
    assert listed
    unread = [name for name in listed if f'"{name}"' not in code]
    assert unread == []
