"""A client of a whole cluster: any node will do, and it retries when one is down.

A call for a tenant goes to the node that served the tenant last (any node at
first; a node forwards to the owner itself). On UNAVAILABLE it tries the owner
that the answer names (`x-bf-owner`), else the next node, with a short pause,
until its deadline. An attempt that failed after the request may have been
applied (the connection broke mid-call, or it timed out) makes the outcome
*uncertain*: a later success may then be a second application.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

import grpc

from workbench.core.codes import Code
from workbench.bench.transports import methods_by_request
from workbench.core.domain import Domain
from workbench.service.forwarding import owner_of
from workbench.service.limits import MAX_MESSAGE_BYTES
from workbench.service.rpc import TENANT_METADATA

ATTEMPT_SECONDS = 5.0
RETRY_PAUSE = 0.05  # doubled at each attempt up to MAX_RETRY_PAUSE: many callers retrying must not flood the nodes
MAX_RETRY_PAUSE = 0.4
# Worth another attempt, here or at another node. CANCELLED too: a node stopping cleanly cancels the calls
# gRPC had received but not yet handed to bf (grpc/grpc#41785), and after its grace period any call still
# running (that one may have been applied).
_TRY_AGAIN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
              grpc.StatusCode.CANCELLED)


@dataclass(frozen=True)
class Answer:
    response: Any | None  # None when refused or given up
    code: Code
    message: str
    started: float  # time.monotonic() of the first attempt
    finished: float
    attempts: int
    uncertain: bool  # an earlier attempt may have been applied too

    @property
    def seconds(self) -> float:
        return self.finished - self.started


class ClusterClient:
    def __init__(self, addresses: list[str], domain: Domain):
        self.addresses = list(addresses)
        options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
        self._channels = {address: grpc.insecure_channel(address, options) for address in self.addresses}
        self._methods = {address: methods_by_request(channel, domain) for address, channel in self._channels.items()}
        self._preferred: dict[str, str] = {}
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def call(self, tenant: str, request: Any, deadline_seconds: float = 30.0) -> Answer:
        started = time.monotonic()
        give_up = started + deadline_seconds
        address = self._preferred.get(tenant) or self._next_address()
        uncertain, attempts = False, 0
        metadata = ((TENANT_METADATA, tenant),)
        while True:
            attempts += 1
            method = self._methods[address][type(request)]
            try:
                response = method(request, metadata=metadata, timeout=min(ATTEMPT_SECONDS, give_up - time.monotonic()))
                self._preferred[tenant] = address
                return Answer(response, Code.OK, "", started, time.monotonic(), attempts, uncertain)
            except grpc.RpcError as error:
                code = error.code()
                if code not in _TRY_AGAIN:
                    return Answer(None, Code(code.value[0]), error.details() or "", started, time.monotonic(),
                                  attempts, uncertain)
                uncertain = uncertain or _maybe_applied(error)
                if time.monotonic() + RETRY_PAUSE >= give_up:
                    return Answer(None, Code(code.value[0]), error.details() or "", started, time.monotonic(),
                                  attempts, uncertain)
                owner = owner_of(error)
                address = owner if owner in self._channels and owner != address else self._next_address(address)
                time.sleep(min(MAX_RETRY_PAUSE, RETRY_PAUSE * 2 ** min(attempts - 1, 4)))

    def _next_address(self, after: str | None = None) -> str:
        with self._lock:
            turn = next(self._turn)
        choices = [a for a in self.addresses if a != after] or self.addresses
        return choices[turn % len(choices)]

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


def _maybe_applied(error: grpc.RpcError) -> bool:
    """Could the request have been applied although this attempt failed?"""
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        details = error.details() or ""
        if "did not answer" in details:  # forwarded to an owner that went away mid-call
            return True
        # Refused before running: no owner here, a stale copy, an expired lease, or nobody listening.
        refused_first = ("is served by", "must catch up", "may not", "lease", "failed to connect",
                         "Connection refused")
        return not any(phrase in details for phrase in refused_first)
    return True

