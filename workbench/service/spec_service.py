"""SpecService: runs one spec in isolation, exactly as `bf test` does.

`Spec` unpacks the given events and the request and hands them to the same
SpecSandbox the local runner uses (an in-memory database per thread, rolled
back after each spec), so it never touches tenant data. Specs run bounded in
size, time and memory on threads of their own (spec_runs.py). A rejection is
an answer (`status`, `error`), not a failed call. The call itself fails with
INVALID_ARGUMENT for an unknown message type or a bad `NextUid`,
UNIMPLEMENTED when no feature handles the request, and INTERNAL (with the
traceback) when a handler or applier crashes.
"""

from __future__ import annotations

import platform
import traceback
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from workbench.core.codes import Code
from workbench.core.domain import Domain
from workbench.core.execute import NoHandler
from workbench.core.ids import spec_uid_number
from workbench.service.codec import AnyCodec, UnknownMessageType, pack
from workbench.service.rpc import ServiceError, add_service, async_unary, unary
from workbench.service.spec_runs import BoundedSpecRuns, check_given
from workbench.specs.model import Spec

SERVICE = "SpecService"


class SpecService:
    def __init__(self, domain: Domain):
        self.domain = domain
        self.messages = domain.messages
        self.codec = AnyCodec(domain.messages)
        self.runs = BoundedSpecRuns(domain)

    @property
    def service_name(self) -> str:
        return self.messages["SpecRequest"].DESCRIPTOR.file.services_by_name[SERVICE].full_name

    def add_to(self, server: grpc.Server) -> str:
        add_service(server, self.service_name, {
            "About": unary(f"{SERVICE}.About", self.about, self.messages["AboutRequest"]),
            "Spec": async_unary(f"{SERVICE}.Spec", self.spec, self.messages["SpecRequest"]),
        })
        return self.service_name

    def about(self, request: Any, context: grpc.ServicerContext) -> Any:
        registry = self.domain.registry
        detail = (f"bf {_bf_version()} on Python {platform.python_version()}: event-sourced inventory, "
                  f"{len(registry.features)} features, {len(registry.requests())} requests, "
                  f"{len(registry.events())} events; specs run in an in-memory SQLite sandbox")
        return self.messages["AboutResponse"](author="bf", detail=detail, contact="see README.md of the bf project")

    async def spec(self, request: Any, context: grpc.ServicerContext) -> Any:
        check_given(request.given)
        try:
            given = [self.codec.unpack(event, f"given[{i}]") for i, event in enumerate(request.given)]
            when = self.codec.unpack(request.when, "when")
        except (UnknownMessageType, DecodeError) as error:
            raise ServiceError(Code.INVALID_ARGUMENT, str(error)) from None
        next_uid = self._next_uid(request.NextUid, given, when)
        try:
            outcome = await self.runs.run(given, when, next_uid)
        except ServiceError:
            raise
        except NoHandler as error:
            raise ServiceError(Code.UNIMPLEMENTED, str(error)) from None
        except Exception:
            raise ServiceError(Code.INTERNAL, traceback.format_exc()) from None
        reply = self.messages["SpecResponse"](events=[pack(event) for event in outcome.events],
                                              status=int(outcome.code), error=outcome.message)
        if outcome.response is not None:
            reply.response.CopyFrom(pack(outcome.response))
        return reply

    @staticmethod
    def _next_uid(text: str, given: list[Any], when: Any) -> int:
        if not text:
            return Spec(name="", given=given, when=when).next_uid
        number = spec_uid_number(text)
        if number is None:
            raise ServiceError(Code.INVALID_ARGUMENT,
                               f"NextUid {text[:60]!r} is not a spec id like 00000000-0000-0000-0000-000000000001")
        return number


def _bf_version() -> str:
    try:
        return version("bf")
    except PackageNotFoundError:
        return "(not installed)"
