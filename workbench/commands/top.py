"""`bf top [ADDR ...]`: running `bf serve` nodes live, side by side, from their metrics."""

from __future__ import annotations

import argparse
import sys

from workbench.config import Project
from workbench.metrics.top_figures import SORTS

EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3  # as `bf test --target` and `bf events` say it


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("top", help="watch running bf serve nodes live (from `bf serve --metrics ADDR`)")
    parser.add_argument("addresses", nargs="*", metavar="ADDR",
                        help="the nodes' metrics addresses, HOST:PORT or a URL (none: those watched last, or type them)")
    parser.add_argument("--refresh", type=float, default=1.0, metavar="SEC", help="seconds between readings (default 1)")
    parser.add_argument("--once", action="store_true",
                        help="no app: print each node's figures over one interval (--refresh) and exit;"
                             " exit 3 when a node cannot be read")
    parser.add_argument("--sort", choices=SORTS, default=SORTS[0], help="the tenants' order with --once (default load)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    if args.once:
        from workbench.metrics.top_text import print_figures, read_twice

        if not args.addresses:
            print("bf top: --once needs the nodes' addresses", file=sys.stderr)
            return EXIT_BAD_INPUT
        found = read_twice(args.addresses, max(0.1, args.refresh))
        return EXIT_UNREACHABLE if print_figures(found, args.sort) else 0
    from workbench.tui.top_app import TopApp  # Textual loads only here

    TopApp(project, args.addresses, refresh=max(0.1, args.refresh)).run()
    return 0
