"""The token bf's clients present: `BF_TOKEN`, or the first word of the file `BF_TOKEN_FILE` names.

(No gRPC here: the `bf` command imports it to report an unreadable token file in one line.)
"""

from __future__ import annotations

import os
from pathlib import Path

TOKEN_ENV = "BF_TOKEN"
TOKEN_FILE_ENV = "BF_TOKEN_FILE"


class ClientTokenError(Exception):
    pass


def client_token(environ: dict[str, str] | None = None) -> str | None:
    """The token to present, or None when neither variable is set. Never says what the token is."""
    environ = os.environ if environ is None else environ
    if environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV].strip()
    if environ.get(TOKEN_FILE_ENV):
        path = Path(environ[TOKEN_FILE_ENV])
        try:
            lines = path.read_text(encoding="utf-8").split()
        except (OSError, UnicodeDecodeError) as error:
            raise ClientTokenError(f"{TOKEN_FILE_ENV}={path}: cannot read the token: "
                                   f"{getattr(error, 'strerror', None) or type(error).__name__}") from None
        if not lines:
            raise ClientTokenError(f"{TOKEN_FILE_ENV}={path}: the file is empty")
        return lines[0]
    return None
