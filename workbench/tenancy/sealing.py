"""Sealing event log records: AES-256-GCM under the tenant's log key.

The tenant, the log generation, the record's position and its event type are
the associated data: a record copied to another tenant, moved to another
position, relabelled as another type, or taken from an archived log into the
live one fails to open, as does any flipped bit.

A sealed record is: format byte, key version (4 bytes), nonce (12), ciphertext
with its 16-byte tag.
"""

from __future__ import annotations

import secrets
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from workbench.tenancy.keyring import TenantKeys

FORMAT = 1
_HEADER = struct.Struct(">BI12s")


class TamperedRecord(Exception):
    """A sealed record that does not open: altered, moved, or sealed for someone else."""

    def __init__(self, tenant: str, position: int, why: str):
        super().__init__(f"tenant {tenant!r}: event log record at position {position} {why}")
        self.tenant = tenant
        self.position = position


class Sealer:
    def __init__(self, keys: TenantKeys, generation: int = 0):
        self.keys = keys
        self.generation = generation
        self._ciphers: dict[int, AESGCM] = {}

    @property
    def tenant(self) -> str:
        return self.keys.tenant

    def seal(self, position: int, payload: bytes, label: str = "") -> bytes:
        version = self.keys.current
        nonce = secrets.token_bytes(12)
        sealed = self._cipher(version).encrypt(nonce, payload, self._context(position, label))
        return _HEADER.pack(FORMAT, version, nonce) + sealed

    def open(self, position: int, record: bytes, label: str = "") -> bytes:
        if len(record) < _HEADER.size + 16:
            raise TamperedRecord(self.tenant, position, "is truncated")
        form, version, nonce = _HEADER.unpack_from(record)
        if form != FORMAT:
            raise TamperedRecord(self.tenant, position, f"has unknown format {form}")
        if version not in self.keys.versions:
            raise TamperedRecord(self.tenant, position, f"is sealed under key version {version}, which this tenant does not have")
        try:
            return self._cipher(version).decrypt(nonce, record[_HEADER.size:], self._context(position, label))
        except InvalidTag:
            raise TamperedRecord(self.tenant, position, "failed authentication: altered, moved or from another tenant") from None

    def key_version(self, record: bytes) -> int:
        return _HEADER.unpack_from(record)[1]

    def reseal(self, position: int, record: bytes, label: str = "") -> bytes:
        """The same payload sealed under the current key version (key rotation)."""
        return self.seal(position, self.open(position, record, label), label)

    def _cipher(self, version: int) -> AESGCM:
        cipher = self._ciphers.get(version)
        if cipher is None:
            cipher = self._ciphers[version] = AESGCM(self.keys.log_key(version))
        return cipher

    def _context(self, position: int, label: str) -> bytes:
        return b"bf event|" + struct.pack(">QQ", self.generation, position) + f"{self.tenant}|{label}".encode()
