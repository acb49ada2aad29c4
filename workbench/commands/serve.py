"""`bf serve`: the gRPC server, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cluster.serve_options import add_cluster_arguments, cluster_tenancy, cluster_tenants
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.service.rpc import ServiceError
from workbench.metrics.exporter import BadMetricsAddress
from workbench.metrics.node_watch import NodeWatch, add_arguments as add_watch_arguments
from workbench.service.server import DEFAULT_LISTEN, DEFAULT_WORKERS, ListenError, Server, catch_stop_signals
from workbench.service.tenants import LeftoverData
from workbench.tenancy.certificates import CA_CERT, CertificateError, channel_credentials, server_credentials
from workbench.tenancy.master_key import MasterKeyError
from workbench.tenancy.node import node_tenants
from workbench.tenancy.tenancy_service import TenancyService
from workbench.service.auth import OPEN_FLAG, AuthError, node_auth
from workbench.service.client_token import ClientTokenError, client_token
from workbench.service.private_files import keep_files_private

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
    parser.add_argument(OPEN_FLAG, action="store_true",
                        help="serve a non-loopback address with no tokens: anyone who reaches it may do anything")
    add_cluster_arguments(parser)
    add_watch_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    keep_files_private()
    watch = NodeWatch.from_arguments(args)  # the log, the observer and the request watch, before tenants open
    data = args.data or project.root / DEFAULT_DATA
    domain = Domain.load(project)
    try:
        credentials = server_credentials(args.tls) if args.tls else None
        interceptors, access = node_auth(domain, data, args.listen, bool(args.tls), args.insecure_no_auth)
        client_token()  # the token this node presents to others (migration): an unreadable one fails now
        tenants, keeping = cluster_tenants(args, domain, data) if args.cluster else node_tenants(domain, data, args.max_open)
    except (MasterKeyError, CertificateError, AuthError, ClientTokenError, ServiceError, LeftoverData) as error:
        print(f"bf serve: {error}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    tenancy = cluster_tenancy(tenants) if args.cluster else TenancyService(
        domain, tenants, channel_credentials(args.tls / CA_CERT) if args.tls else None)
    # The request watch first: it counts the calls authentication refuses too.
    server = Server(domain, data, args.listen, args.workers, tenants, credentials, (tenancy,),
                    interceptors=(watch.interceptor, *interceptors))
    stopping = catch_stop_signals()
    try:
        address = server.start()
        watch.start(server, tenancy)
    except (ListenError, BadMetricsAddress) as error:
        if server.address:
            server.stop()
        print(f"bf serve: {error}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    tenancy.address = address
    if args.cluster:
        tenants.serve_at(address)
    print(f"bf serve: listening on {address}{' (TLS)' if credentials else ''}; data in {data};"
          f" tenants: {', '.join(server.tenants.names())}", flush=True)
    print(f"bf serve: {keeping}", flush=True)
    print(f"bf serve: {access}", flush=True)
    if watch.http is not None:
        print(f"bf serve: metrics on {watch.http.url}", flush=True)
    server.serve_until_signalled(stopping)
    watch.close()
    print("bf serve: stopped", flush=True)
    return 0
