"""The operator's master key: it wraps every tenant key and is never stored beside them.

Given as 64 hex digits (or base64 of 32 bytes) in BF_MASTER_KEY, or in a file
named by BF_MASTER_KEY_FILE. `new_master_key()` makes one.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

MASTER_KEY_ENV = "BF_MASTER_KEY"
MASTER_KEY_FILE_ENV = "BF_MASTER_KEY_FILE"
KEY_BYTES = 32


class MasterKeyError(Exception):
    pass


def new_master_key() -> str:
    return secrets.token_hex(KEY_BYTES)


def parse_master_key(text: str, source: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 2 * KEY_BYTES else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"{source}: a master key is 64 hex digits or base64 of 32 bytes")
    return key


def master_key_from_environment(environ: dict[str, str] | None = None) -> bytes:
    environ = os.environ if environ is None else environ
    if environ.get(MASTER_KEY_ENV):
        return parse_master_key(environ[MASTER_KEY_ENV], MASTER_KEY_ENV)
    if environ.get(MASTER_KEY_FILE_ENV):
        path = Path(environ[MASTER_KEY_FILE_ENV])
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise MasterKeyError(f"{MASTER_KEY_FILE_ENV}={path}: cannot read the master key: {error}") from None
        return parse_master_key(text, str(path))
    raise MasterKeyError(
        f"no master key: set {MASTER_KEY_ENV} (64 hex digits) or {MASTER_KEY_FILE_ENV} (a file holding them);"
        " `python -c 'import secrets; print(secrets.token_hex(32))'` makes one"
    )
