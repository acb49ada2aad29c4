"""`bf ui [PATH]` (and `bf` alone): open the workbench app on a project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.config import Project


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("ui", help="open the workbench app (what `bf` alone does)")
    parser.add_argument("path", metavar="PATH", nargs="?", action=_AsProject,
                        help="the project folder (default: found from here)")
    parser.set_defaults(run=run)


class _AsProject(argparse.Action):
    """PATH means `bf --project PATH`: the project is found from it before the command runs."""

    def __call__(self, parser, namespace, value, option_string=None):
        if value is not None:
            namespace.project = Path(value)


def run(args: argparse.Namespace, project: Project) -> int:
    from workbench.core.registry import RegistryError
    from workbench.tui.app import WorkbenchApp  # Textual loads only for the app, never for the other commands

    try:
        app = WorkbenchApp(project)
    except (OSError, ImportError, SyntaxError, RegistryError) as error:  # the domain itself cannot load
        print(f"bf ui: cannot load the project at {project.root}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    app.run()
    return 0
