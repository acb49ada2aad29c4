"""`bf certs DIR`: make a private CA and a server certificate for `bf serve --tls DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.config import Project
from workbench.tenancy.certificates import CA_CERT, issue


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("certs", help="make a CA and a server certificate for `bf serve --tls`")
    parser.add_argument("folder", type=Path, metavar="DIR", help="where to write ca.pem, ca.key, server.pem, server.key")
    parser.add_argument("--host", action="append", default=[], metavar="NAME",
                        help="another DNS name or IP address the server answers on (localhost and 127.0.0.1 are always in)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    try:
        issued = issue(args.folder, tuple(args.host))
    except OSError as error:
        print(f"bf certs: cannot write to {args.folder}: {error}", file=sys.stderr)
        return 1
    print(f"bf certs: wrote {', '.join(p.name for p in issued.files)} in {issued.folder}")
    print(f"  server names: {', '.join(issued.hosts)}")
    print(f"  serve:   bf serve --tls {issued.folder}")
    print(f"  clients: trust {issued.folder / CA_CERT}")
    return 0
