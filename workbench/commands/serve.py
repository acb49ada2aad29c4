"""`bf serve`: the gRPC server, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from workbench.cluster.serve_options import add_cluster_arguments, cluster_tenancy, cluster_tenants
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.service.rpc import ServiceError
from workbench.service.server import DEFAULT_LISTEN, DEFAULT_WORKERS, ListenError, Server, catch_stop_signals
from workbench.tenancy.certificates import CA_CERT, CertificateError, channel_credentials, server_credentials
from workbench.tenancy.master_key import MasterKeyError
from workbench.tenancy.node import node_tenants
from workbench.tenancy.tenancy_service import TenancyService

EXIT_CANNOT_LISTEN = 2
DEFAULT_DATA = "data"  # under the project folder (git ignores it)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="serve the inventory, SpecService and the event stream over gRPC")
    parser.add_argument("--listen", default=DEFAULT_LISTEN, metavar="ADDR",
                        help=f"host:port (port 0: any free one) or unix:/path/to.sock (default {DEFAULT_LISTEN})")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help=f"the folder of the tenants' logs and states (default: {DEFAULT_DATA}/ in the project)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, metavar="N",
                        help=f"threads running tenants' writes, and as many for the other services; at most N/2"
                             f" event streams are open at once (default {DEFAULT_WORKERS})")
    parser.add_argument("--tls", type=Path, metavar="DIR",
                        help="serve over TLS with DIR/server.pem and DIR/server.key (`bf certs DIR` makes them)")
    parser.add_argument("--max-open", type=int, metavar="N",
                        help="keep at most N tenants open, closing the least recently used (default: no bound)")
    add_cluster_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    logging.basicConfig(level=logging.INFO, format="bf serve: %(levelname)s %(message)s", stream=sys.stderr)
    data = args.data or project.root / DEFAULT_DATA
    domain = Domain.load(project)
    try:
        credentials = server_credentials(args.tls) if args.tls else None
        tenants, keeping = cluster_tenants(args, domain, data) if args.cluster else node_tenants(domain, data, args.max_open)
    except (MasterKeyError, CertificateError, ServiceError) as error:
        print(f"bf serve: {error}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    tenancy = cluster_tenancy(tenants) if args.cluster else TenancyService(
        domain, tenants, channel_credentials(args.tls / CA_CERT) if args.tls else None)
    server = Server(domain, data, args.listen, args.workers, tenants, credentials, (tenancy,))
    stopping = catch_stop_signals()
    try:
        address = server.start()
    except ListenError as error:
        print(f"bf serve: {error}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    tenancy.address = address
    if args.cluster:
        tenants.serve_at(address)
    print(f"bf serve: listening on {address}{' (TLS)' if credentials else ''}; data in {data};"
          f" tenants: {', '.join(server.tenants.names())}", flush=True)
    print(f"bf serve: {keeping}", flush=True)
    server.serve_until_signalled(stopping)
    print("bf serve: stopped", flush=True)
    return 0
