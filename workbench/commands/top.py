"""`bf top [ADDR ...]`: running `bf serve` nodes live, side by side, from their metrics."""

from __future__ import annotations

import argparse

from workbench.config import Project


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("top", help="watch running bf serve nodes live (from `bf serve --metrics ADDR`)")
    parser.add_argument("addresses", nargs="*", metavar="ADDR",
                        help="the nodes' metrics addresses, HOST:PORT or a URL (none: those watched last, or type them)")
    parser.add_argument("--refresh", type=float, default=1.0, metavar="SEC", help="seconds between readings (default 1)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from workbench.tui.top_app import TopApp  # Textual loads only here

    TopApp(project, args.addresses, refresh=max(0.1, args.refresh)).run()
    return 0
