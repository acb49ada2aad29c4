"""The one way a feature handler says no: everything it did is rolled back."""

from __future__ import annotations

from workbench.core.codes import Code


class Rejected(Exception):
    """A request refused with a gRPC status code and a human message.

    `recorded`: events that happen although the request is refused (a fact
    about the refusal itself, such as a script disabled for overrunning):
    they are applied and logged after everything else the handler did is undone.
    """

    def __init__(self, code: Code, message: str, recorded: tuple = ()):
        super().__init__(f"{code.spec_name}: {message}")
        self.code = code
        self.message = message
        self.recorded = tuple(recorded)
