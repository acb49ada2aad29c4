"""`bf ui [PATH]` (and `bf` alone): open the workbench app on a project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.config import ConfigError, Project, find_project


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("ui", help="open the workbench app (what `bf` alone does)")
    parser.add_argument("path", nargs="?", type=Path, help="the project folder (default: found from here)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    if getattr(args, "path", None) is not None:
        try:
            project = find_project(args.path)
        except ConfigError as error:
            print(f"bf ui: {error}", file=sys.stderr)
            return 2
    from workbench.tui.app import WorkbenchApp  # Textual loads only for the app, never for the other commands

    WorkbenchApp(project).run()
    return 0
