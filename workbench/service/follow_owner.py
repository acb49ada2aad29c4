"""Operator commands that name a node follow the tenant to its owner.

A cluster node answers a call for a tenant another node owns with UNAVAILABLE
and the owner's address (`x-bf-owner`, see forwarding.py); a node a tenant
moved away from names where it went. `bf compact` and `bf migrate` then ask
that node instead, as `bf events` does, a few hops at most.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import grpc

from workbench.service.forwarding import owner_of

MAX_HOPS = 3
Answer = TypeVar("Answer")


class RefusedAt(Exception):
    """The call failed at `address` (the last node asked), with `error`."""

    def __init__(self, address: str, error: grpc.RpcError):
        super().__init__(f"{address}: {error.code().name}: {error.details()}")
        self.address, self.error = address, error


def following_owner(address: str, call: Callable[[str], Answer]) -> tuple[str, Answer]:
    """`call(address)`, or `call(owner)` where the node says the tenant's owner is; (the node that answered,
    its answer). Raises RefusedAt."""
    for hop in range(MAX_HOPS + 1):
        try:
            return address, call(address)
        except grpc.RpcError as error:
            owner = owner_of(error) if error.code() == grpc.StatusCode.UNAVAILABLE else None
            if not owner or owner == address or hop == MAX_HOPS:
                raise RefusedAt(address, error) from None
            address = owner
    raise AssertionError("unreachable")
