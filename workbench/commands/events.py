"""`bf events`: print a tenant's logged events from a running server, and follow new ones."""

from __future__ import annotations

import argparse
import sys
import time

import grpc

from domain.contracts.service_pb2 import FollowReq
from domain.contracts.service_pb2_grpc import EventStreamServiceStub
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.core.ids import show_uids
from workbench.service.client_auth import with_token
from workbench.service.codec import AnyCodec, UnknownMessageType
from workbench.service.forwarding import owner_of
from workbench.service.rpc import TENANT_METADATA
from workbench.service.server import DEFAULT_LISTEN
from workbench.service.tenants import DEFAULT_TENANT
from workbench.specs.message_text import message_line

EXIT_UNREACHABLE = 3
MAX_HOPS = 10  # owners followed in a cluster before giving up


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("events", help="print a tenant's logged events from a running bf serve, and follow them")
    parser.add_argument("--target", default=DEFAULT_LISTEN, metavar="ADDR",
                        help=f"the server: host:port or unix:/path (default {DEFAULT_LISTEN})")
    parser.add_argument("--tenant", default=DEFAULT_TENANT, help=f"whose events (default {DEFAULT_TENANT})")
    parser.add_argument("--after", type=int, default=0, metavar="POSITION", help="start after this log position")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new events as they are logged")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    codec = AnyCodec(Domain.load(project).messages)
    address, after, hops = args.target, args.after, 0
    while True:
        try:
            after = _print_events(codec, address, args.tenant, after, args.follow)
            return 0
        except KeyboardInterrupt:
            return 0
        except grpc.RpcError as error:
            # A cluster node names the tenant's owner: follow it there (a few hops at most).
            after = getattr(error, "after", after)
            unavailable = error.code() == grpc.StatusCode.UNAVAILABLE
            owner = owner_of(error) if unavailable else None
            if unavailable and not owner and "tenant was closed" in (error.details() or ""):
                owner = args.target  # it moved off that node: ask where it went
            if owner and hops < MAX_HOPS:
                address, hops = owner, hops + 1
                time.sleep(0.2 * hops)
                continue
            print(f"bf events: {address}: {error.code().name}: {error.details()}", file=sys.stderr)
            return EXIT_UNREACHABLE if error.code() == grpc.StatusCode.UNAVAILABLE else 1


def _print_events(codec: AnyCodec, address: str, tenant: str, after: int, follow: bool) -> int:
    """Print the tenant's events after `after` from the node at `address`; returns the last position printed."""
    with with_token(grpc.insecure_channel(address)) as channel:
        stream = EventStreamServiceStub(channel).Follow(
            FollowReq(after=after, stop_at_end=not follow), metadata=[(TENANT_METADATA, tenant)])
        try:
            for logged in stream:
                print(f"{logged.position:>8} v{logged.version:<6} {_event_text(codec, logged.event)}", flush=True)
                after = logged.position
        except KeyboardInterrupt:
            stream.cancel()
            raise
        except grpc.RpcError as error:
            error.after = after  # printed so far: a retry elsewhere goes on from there
            raise
    return after


def _event_text(codec: AnyCodec, packed) -> str:
    try:
        return show_uids(message_line(codec.unpack(packed, "event")))
    except UnknownMessageType:
        return f"{packed.type_url} ({len(packed.value)} bytes)"
