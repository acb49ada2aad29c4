"""`bf compact TENANT`: rewrite a tenant's log as the shortest events that rebuild
its state, keeping the old log archived. Asks a running node (--server), or
works on a data folder no server is using (--data)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from domain.contracts.tenancy_pb2 import CompactReq, CompactResp
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.service.follow_owner import RefusedAt, following_owner
from workbench.service.server import DEFAULT_LISTEN
from workbench.service.tenants import BadTenantName, LeftoverData, UnknownTenant
from workbench.tenancy.certificates import CertificateError, channel_credentials, dial
from workbench.tenancy.compactor import CompactionError, compact_tenant
from workbench.tenancy.master_key import MasterKeyError
from workbench.tenancy.node import node_tenants
from workbench.service.private_files import keep_files_private


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("compact", help="compact a tenant's event log (the old log is archived)")
    parser.add_argument("tenant", help="the tenant's name")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", default=DEFAULT_LISTEN, metavar="ADDR", help=f"a running node (default {DEFAULT_LISTEN})")
    where.add_argument("--data", type=Path, metavar="DIR", help="a data folder no server is using")
    parser.add_argument("--ca", type=Path, metavar="FILE", help="the node serves TLS: trust this CA (DIR/ca.pem of `bf certs`)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    keep_files_private()
    try:
        done = _offline(args, project) if args.data else _online(args)
    except (CompactionError, MasterKeyError, BadTenantName, UnknownTenant, CertificateError, LeftoverData) as error:
        print(f"bf compact: {error}", file=sys.stderr)
        return 1
    except RefusedAt as refused:
        print(f"bf compact: {refused}", file=sys.stderr)
        return 1
    if not done.archive:
        print(f"bf compact: {args.tenant}: already compact ({done.events_before} events); nothing changed")
        return 0
    print(f"bf compact: {args.tenant}: {done.events_before} -> {done.events_after} events"
          f" ({done.events_after / done.events_before:.0%}), {done.bytes_before:,} -> {done.bytes_after:,} bytes;"
          f" state fingerprint {done.fingerprint[:16]} kept; requests paused {done.pause_seconds * 1000:.1f} ms;"
          f" old log in {done.archive}")
    return 0


def _online(args: argparse.Namespace) -> CompactResp:
    def compact_at(address: str) -> CompactResp:
        with dial(address, channel_credentials(args.ca) if args.ca else None) as channel:
            return TenancyServiceStub(channel).Compact(CompactReq(tenant=args.tenant), timeout=600)

    return following_owner(args.server, compact_at)[1]


def _offline(args: argparse.Namespace, project: Project):
    domain = Domain.load(project)
    pool, _ = node_tenants(domain, args.data)
    try:
        return compact_tenant(pool.get(args.tenant), domain)
    finally:
        pool.close()
