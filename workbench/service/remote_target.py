"""A spec Target that runs each spec through the SpecService of any server,
in any language, that speaks the kata contract (`bf test --target ADDR`).

The runner judges the Outcome exactly as it judges a local run. A call that
fails (server down, UNIMPLEMENTED, a crash reported as INTERNAL) raises
RemoteError, which the runner reports as that spec's error.
"""

from __future__ import annotations

from typing import Any

import grpc

from workbench.core.codes import Code
from workbench.core.execute import Outcome
from workbench.core.ids import spec_uid
from workbench.service.client_auth import with_token
from workbench.service.codec import AnyCodec, pack
from workbench.service.spec_service import SERVICE

CALL_SECONDS = 30.0


class RemoteError(Exception):
    pass


class RemoteTarget:
    def __init__(self, address: str, messages: dict[str, type], timeout: float = CALL_SECONDS):
        self.address = address
        self.timeout = timeout
        self._messages = messages
        self._codec = AnyCodec(messages)
        self._channel = with_token(grpc.insecure_channel(address))
        service = messages["SpecRequest"].DESCRIPTOR.file.services_by_name[SERVICE].full_name
        self._spec = self._channel.unary_unary(f"/{service}/Spec", request_serializer=_serialize,
                                               response_deserializer=messages["SpecResponse"].FromString)
        self._about = self._channel.unary_unary(f"/{service}/About", request_serializer=_serialize,
                                                response_deserializer=messages["AboutResponse"].FromString)

    def about(self) -> Any:
        return self._call(self._about, self._messages["AboutRequest"]())

    def run(self, given: list[Any], when: Any, next_uid: int) -> Outcome:
        request = self._messages["SpecRequest"](given=[pack(event) for event in given], when=pack(when),
                                                NextUid=spec_uid(next_uid))
        reply = self._call(self._spec, request)
        response = self._codec.unpack(reply.response, "response") if reply.HasField("response") else None
        events = [self._codec.unpack(event, f"events[{i}]") for i, event in enumerate(reply.events)]
        try:
            code = Code(reply.status)
        except ValueError:
            raise RemoteError(f"{self.address} answered with status {reply.status}, not a gRPC code") from None
        return Outcome(response, events, code, reply.error)

    def close(self) -> None:
        self._channel.close()

    def _call(self, method: grpc.UnaryUnaryMultiCallable, request: Any) -> Any:
        try:
            return method(request, timeout=self.timeout, wait_for_ready=False)
        except grpc.RpcError as error:
            raise RemoteError(f"{self.address}: {error.code().name}: {error.details()}") from None


def _serialize(message: Any) -> bytes:
    return message.SerializeToString()
