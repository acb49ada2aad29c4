"""gRPC status codes under the names the kata's specs use (`NotFound`, ...)."""

from __future__ import annotations

import enum


class Code(enum.IntEnum):
    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @property
    def spec_name(self) -> str:
        """The name a spec's `ERROR:` line uses: `FAILED_PRECONDITION` -> `FailedPrecondition`."""
        if self is Code.OK:
            return "OK"
        if self is Code.CANCELLED:
            return "Canceled"  # google.rpc.Code spells it the American way
        return "".join(part.capitalize() for part in self.name.split("_"))

    @classmethod
    def from_spec_name(cls, name: str) -> "Code | None":
        return _BY_SPEC_NAME.get(name)

    @classmethod
    def spec_names(cls) -> list[str]:
        return list(_BY_SPEC_NAME)


_BY_SPEC_NAME = {code.spec_name: code for code in Code}
_BY_SPEC_NAME["Cancelled"] = Code.CANCELLED
