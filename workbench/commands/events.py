"""`bf events`: print a tenant's logged events from a running server, and follow new ones."""

from __future__ import annotations

import argparse
import sys

import grpc

from domain.contracts.service_pb2 import FollowReq
from domain.contracts.service_pb2_grpc import EventStreamServiceStub
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.core.ids import show_uids
from workbench.service.client_auth import with_token
from workbench.service.codec import AnyCodec, UnknownMessageType
from workbench.service.rpc import TENANT_METADATA
from workbench.service.server import DEFAULT_LISTEN
from workbench.service.tenants import DEFAULT_TENANT
from workbench.specs.message_text import message_line

EXIT_UNREACHABLE = 3


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
    with with_token(grpc.insecure_channel(args.target)) as channel:
        stream = EventStreamServiceStub(channel).Follow(
            FollowReq(after=args.after, stop_at_end=not args.follow), metadata=[(TENANT_METADATA, args.tenant)])
        try:
            for logged in stream:
                print(f"{logged.position:>8} v{logged.version:<6} {_event_text(codec, logged.event)}", flush=True)
        except KeyboardInterrupt:
            stream.cancel()
        except grpc.RpcError as error:
            print(f"bf events: {args.target}: {error.code().name}: {error.details()}", file=sys.stderr)
            return EXIT_UNREACHABLE if error.code() == grpc.StatusCode.UNAVAILABLE else 1
    return 0


def _event_text(codec: AnyCodec, packed) -> str:
    try:
        return show_uids(message_line(codec.unpack(packed, "event")))
    except UnknownMessageType:
        return f"{packed.type_url} ({len(packed.value)} bytes)"
