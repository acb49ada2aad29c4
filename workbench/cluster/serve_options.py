"""`bf serve --cluster nats://...`: what a node of a cluster adds to `bf serve`.

Kept apart so that a single node never imports nats-py: without `--cluster`
nothing here runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
import time
from pathlib import Path

NODE_ENV = "BF_NODE"
DEFAULT_LEASE_SECONDS = 3.0
START_SECONDS = 30.0  # how long a starting node waits for JetStream to answer


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", metavar="URLS", type=nats_urls,
                        help="serve as a node of a cluster: the tenants' logs live on these NATS JetStream servers"
                             " (nats://h1:4222,nats://h2:4222,...); see docs/cluster.md")
    parser.add_argument("--node", metavar="NAME",
                        help=f"this node's name in the cluster (default: ${NODE_ENV}, else host-pid)")
    add_lease_seconds(parser)


def nats_urls(text: str) -> str:
    """`--cluster`'s value: one or more nats:// (or tls://) URLs with a host and a port, comma-separated."""
    urls = [url.strip() for url in text.split(",") if url.strip()]
    if not urls:
        raise argparse.ArgumentTypeError("give the NATS servers, e.g. nats://h1:4222,nats://h2:4222,nats://h3:4222")
    for url in urls:
        scheme, _, rest = url.partition("://")
        host, _, port = rest.rpartition(":")
        if scheme not in ("nats", "tls") or not host or not port.isdigit():
            raise argparse.ArgumentTypeError(f"{url!r} is not a NATS server URL such as nats://127.0.0.1:4222")
    return ",".join(urls)


def add_lease_seconds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lease-seconds", type=float, default=DEFAULT_LEASE_SECONDS, metavar="S",
                        help=f"a tenant's lease lasts S seconds unless renewed: how soon another node takes over"
                             f" from a dead one that still listens (default {DEFAULT_LEASE_SECONDS:g})")


def nats_missing(command: str) -> bool:
    """True, having said so, when the NATS client is not installed (`bf cluster`, `bf chaos`)."""
    if importlib.util.find_spec("nats") is None:
        print(f"bf {command}: needs nats-py: pip install -e '.[cluster]'", file=sys.stderr)
        return True
    return False


def cluster_tenants(args: argparse.Namespace, domain, data: Path):
    """The node's tenants and one line saying how it keeps them. Raises ClusterUnavailable, or
    MasterKeyError when the master key given (or its absence) is not how the cluster is encrypted."""
    from workbench.cluster.cluster_keys import ClusterKeyring, check_cluster_key
    from workbench.cluster.cluster_tenants import TENANTS_BUCKET, ClusterTenants
    from workbench.cluster.link import ClusterUnavailable, NatsLink
    from workbench.tenancy.master_key import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, master_key_from_environment

    given = os.environ.get(MASTER_KEY_ENV) or os.environ.get(MASTER_KEY_FILE_ENV)
    master_key = master_key_from_environment() if given else None
    node = args.node or os.environ.get(NODE_ENV) or f"{socket.gethostname()}-{os.getpid()}"
    link = NatsLink(args.cluster, name=f"bf-{node}",
                    waiting=lambda: print(f"bf serve: no JetStream answers at {args.cluster} yet; trying for"
                                          f" {START_SECONDS:.0f} s", file=sys.stderr, flush=True))
    replicas = min(3, len(link.urls))
    deadline = time.monotonic() + START_SECONDS
    while True:  # a node may start while NATS elects a leader (one of its servers just died)
        try:
            check_cluster_key(link, master_key, TENANTS_BUCKET, replicas)
            keyring = ClusterKeyring(link, master_key, replicas) if master_key else None
            tenants = ClusterTenants(domain, data, link, node, args.lease_seconds, replicas,
                                     forward_credentials=_forward_credentials(args), keyring=keyring)
            break
        except ClusterUnavailable:
            if time.monotonic() > deadline:
                link.close()
                raise
            time.sleep(0.2)
        except BaseException:
            link.close()
            raise
    at_rest = ("encrypted at rest: tenant keys wrapped by the master key in KV bf_keys, events sealed on JetStream"
               if keyring else f"NOT encrypted at rest (set {MASTER_KEY_ENV} or {MASTER_KEY_FILE_ENV} on every node)")
    return tenants, (f"node {node} of the cluster at {args.cluster}: logs on JetStream (R{replicas}),"
                     f" leases of {args.lease_seconds:g} s; state and log cached in {data}; {at_rest}")


def _forward_credentials(args: argparse.Namespace):
    """A node serving TLS dials the other nodes (the owners it forwards to) over TLS with DIR/ca.pem."""
    if not args.tls:
        return None
    from workbench.tenancy.certificates import CA_CERT, channel_credentials

    return channel_credentials(args.tls / CA_CERT)


def cluster_tenancy(tenants):
    """bf.TenancyService for a cluster node: migration as a lease handover."""
    from workbench.cluster.handover import ClusterTenancyService

    return ClusterTenancyService(tenants)
