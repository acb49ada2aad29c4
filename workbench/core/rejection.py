"""The one way a feature handler says no: everything it did is rolled back."""

from __future__ import annotations

from workbench.core.codes import Code


class Rejected(Exception):
    """A request refused with a gRPC status code and a human message."""

    def __init__(self, code: Code, message: str):
        super().__init__(f"{code.spec_name}: {message}")
        self.code = code
        self.message = message
