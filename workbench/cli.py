"""The `bf` command. Each subcommand lives in workbench/commands/<name>.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.commands import certs, compact, events, explore, fmt, migrate, perf, protos, replay, serve, stress, test, ui, watch
from workbench.config import ConfigError, find_project

COMMANDS = [test, protos, fmt, perf, stress, replay, watch, serve, events, explore, ui, certs, compact, migrate]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bf", description="A workbench for event-sourced services.")
    parser.add_argument("--project", type=Path, default=None, help="the project folder (default: found from here)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):  # `bf` alone opens the workbench app
        args.run = ui.run
    try:
        project = find_project(args.project)
    except ConfigError as error:
        print(f"bf: {error}", file=sys.stderr)
        return 2
    return args.run(args, project)


if __name__ == "__main__":
    sys.exit(main())
