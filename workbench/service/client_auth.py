"""bf's clients present a token (client_token.py) with every call to a node.

Every channel bf opens to a node (`bf test --target`, `bf events`, `bf compact`,
`bf migrate`, `bf stress`, and a node dialing another to migrate a tenant) goes
through `with_token`, which adds `authorization: Bearer <token>` to each call.
It is metadata rather than call credentials because gRPC only sends call
credentials over TLS, and a development node listens on a unix socket or loopback.
"""

from __future__ import annotations

from typing import Any

import grpc

from workbench.service.client_token import client_token


def with_token(channel: grpc.Channel, token: str | None = None) -> grpc.Channel:
    """`channel`, sending `token` (default: the environment's) with every call; unchanged when there is none."""
    token = client_token() if token is None else token
    return grpc.intercept_channel(channel, _Bearer(token)) if token else channel


class _Bearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
              grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    def __init__(self, token: str):
        self._header = ("authorization", f"Bearer {token}")

    def __repr__(self) -> str:
        return "_Bearer(<token>)"

    def _details(self, details: Any) -> Any:
        metadata = [*(details.metadata or ()), self._header]
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method, self.timeout, self.metadata = method, timeout, metadata
        self.credentials, self.wait_for_ready, self.compression = credentials, wait_for_ready, compression
