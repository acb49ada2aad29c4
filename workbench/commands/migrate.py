"""`bf migrate TENANT --to ADDR`: move a tenant from a running node (--server)
to another running node while it keeps serving."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from domain.contracts.tenancy_pb2 import MigrateReq, MigrateResp
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from workbench.config import Project
from workbench.service.follow_owner import RefusedAt, following_owner
from workbench.service.server import DEFAULT_LISTEN
from workbench.tenancy.certificates import CertificateError, channel_credentials, dial


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("migrate", help="move a tenant to another bf serve node without downtime")
    parser.add_argument("tenant", help="the tenant's name")
    parser.add_argument("--to", required=True, metavar="ADDR", help="the target node, as its clients dial it")
    parser.add_argument("--server", default=DEFAULT_LISTEN, metavar="ADDR",
                        help=f"the node the tenant is on now (default {DEFAULT_LISTEN})")
    parser.add_argument("--ca", type=Path, metavar="FILE", help="the nodes serve TLS: trust this CA (DIR/ca.pem of `bf certs`)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    def migrate_from(address: str) -> MigrateResp:
        with dial(address, channel_credentials(args.ca) if args.ca else None) as channel:
            return TenancyServiceStub(channel).Migrate(MigrateReq(tenant=args.tenant, to=args.to), timeout=3600)

    try:
        source, done = following_owner(args.server, migrate_from)
    except (RefusedAt, CertificateError) as error:
        print(f"bf migrate: {error}", file=sys.stderr)
        return 1
    print(f"bf migrate: {args.tenant} now on {args.to}: {done.events} events copied ({done.caught_up_live} while it"
          f" kept serving); writes held {done.pause_seconds * 1000:.1f} ms; {done.total_seconds:.2f} s in all;"
          f" {source} now refuses it, naming {args.to}")
    return 0
