"""The `bf` command. Each subcommand lives in workbench/commands/<name>.py."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from workbench.config import ConfigError, find_project
from workbench.service.client_token import ClientTokenError

COMMANDS = ["test", "protos", "fmt", "perf", "stress", "replay", "watch", "serve", "events", "explore", "ui", "certs",
            "compact", "migrate", "tokens", "cluster", "chaos", "top"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bf", description="A workbench for event-sourced services.")
    parser.add_argument("--project", type=Path, default=None, help="the project folder (default: found from here)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"workbench.commands.{name}").add_parser(commands)
    return parser


def import_from_project(argv: list[str]) -> None:
    """Put the project's root first on sys.path before any command imports its
    domain, so that the project named (or found from here) is the code that
    runs, not a copy installed elsewhere."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--project", type=Path, default=None)
    known, rest = early.parse_known_args(argv)
    start = known.project
    if start is None and rest[:1] == ["ui"] and len(rest) > 1 and not rest[1].startswith("-"):
        start = Path(rest[1])
    try:
        find_project(start).make_importable()
    except ConfigError:
        pass  # main says so, once the command line is read


def main(argv: list[str] | None = None) -> int:
    import_from_project(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):  # `bf` alone opens the workbench app
        args.run = importlib.import_module("workbench.commands.ui").run
    try:
        project = find_project(args.project)
    except ConfigError as error:
        print(f"bf: {error}", file=sys.stderr)
        return 2
    try:
        return args.run(args, project)
    except ClientTokenError as error:
        print(f"bf: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `bf ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit would fail too
        return 1


if __name__ == "__main__":
    sys.exit(main())
