"""Tenant keys, each wrapped by the operator's master key, one file per tenant.

A tenant key has versions: rotation adds a version and makes it current; data
sealed under older versions stays readable until it is re-encrypted and the old
versions are retired. Shredding a tenant overwrites and removes its key file and
leaves a tombstone, so everything sealed for it becomes unreadable for good and
opening it says why.

The log and the state database never use a tenant key directly: each gets its
own subkey (HKDF), so one key never serves two ciphers.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from workbench.core.crash_points import crash_point

KEY_BYTES = 32
NONCE_BYTES = 12
TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class KeyringError(Exception):
    pass


class UnknownTenant(KeyringError):
    pass


class TenantShredded(KeyringError):
    pass


def require_tenant_id(tenant: str) -> str:
    if not TENANT_ID.fullmatch(tenant) or tenant.endswith((".key", ".shredded")):
        raise KeyringError(f"bad tenant id {tenant!r}: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return tenant


@dataclass(frozen=True)
class TenantKeys:
    """The unwrapped key versions of one tenant; `current` seals new data."""

    tenant: str
    current: int
    versions: dict[int, bytes]

    def log_key(self, version: int) -> bytes:
        return self._subkey(version, b"bf event log")

    def state_key(self, version: int) -> bytes:
        return self._subkey(version, b"bf state database")

    def _subkey(self, version: int, purpose: bytes) -> bytes:
        try:
            key = self.versions[version]
        except KeyError:
            raise KeyringError(f"tenant {self.tenant!r} has no key version {version} (retired or never made)") from None
        info = purpose + b"|" + self.tenant.encode() + b"|" + str(version).encode()
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(key)


class Keyring:
    def __init__(self, folder: Path | str, master_key: bytes):
        if len(master_key) != KEY_BYTES:
            raise KeyringError("the master key must be 32 bytes")
        self.folder = Path(folder)
        self._master = AESGCM(master_key)

    def create(self, tenant: str) -> TenantKeys:
        """A first key for a new tenant (a shredded tenant id is never reused)."""
        require_tenant_id(tenant)
        if self._tombstone(tenant).exists():
            raise TenantShredded(f"tenant {tenant!r} was shredded; its id cannot be reused")
        if self._file(tenant).exists():
            raise KeyringError(f"tenant {tenant!r} already has a key")
        keys = TenantKeys(tenant, 1, {1: secrets.token_bytes(KEY_BYTES)})
        self._write(keys)
        return keys

    def has(self, tenant: str) -> bool:
        return self._file(require_tenant_id(tenant)).exists()

    def tenants(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.key"))

    def shredded(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.shredded"))

    def keys(self, tenant: str) -> TenantKeys:
        require_tenant_id(tenant)
        path = self._file(tenant)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            if self._tombstone(tenant).exists():
                raise TenantShredded(f"tenant {tenant!r} was shredded: its key is deleted and its data unreadable") from None
            raise UnknownTenant(f"tenant {tenant!r} has no key in {self.folder}") from None
        except (OSError, ValueError) as error:
            raise KeyringError(f"{path}: unreadable key file: {error}") from None
        versions = {int(v): self._unwrap(tenant, int(v), bytes.fromhex(w)) for v, w in stored["versions"].items()}
        return TenantKeys(tenant, int(stored["current"]), versions)

    def rotate(self, tenant: str) -> TenantKeys:
        """Add a key version and make it current; older versions stay until retired."""
        keys = self.keys(tenant)
        version = max(keys.versions) + 1
        rotated = TenantKeys(tenant, version, {**keys.versions, version: secrets.token_bytes(KEY_BYTES)})
        self._write(rotated)
        return rotated

    def retire(self, tenant: str, versions: list[int]) -> TenantKeys:
        """Forget old key versions once nothing is sealed under them any more."""
        keys = self.keys(tenant)
        if keys.current in versions:
            raise KeyringError(f"tenant {tenant!r}: the current key version {keys.current} cannot be retired")
        kept = TenantKeys(tenant, keys.current, {v: k for v, k in keys.versions.items() if v not in versions})
        self._write(kept)
        return kept

    def shred(self, tenant: str) -> None:
        """Delete the tenant's key: overwrite the file in place, then remove it."""
        require_tenant_id(tenant)
        path = self._file(tenant)
        self._tombstone(tenant).write_text("shredded\n", encoding="utf-8")
        if path.exists():
            with open(path, "r+b") as file:
                file.write(secrets.token_bytes(path.stat().st_size))
                file.flush()
                os.fsync(file.fileno())
            path.unlink()

    def _write(self, keys: TenantKeys) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stored = {
            "tenant": keys.tenant,
            "current": keys.current,
            "versions": {str(v): self._wrap(keys.tenant, v, k).hex() for v, k in keys.versions.items()},
        }
        temporary = self._file(keys.tenant).with_suffix(".key.tmp")
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as file:
            json.dump(stored, file)
            file.flush()
            os.fsync(file.fileno())
        crash_point("keys.file-written")
        os.replace(temporary, self._file(keys.tenant))

    def _wrap(self, tenant: str, version: int, key: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, key, _wrapping_context(tenant, version))

    def _unwrap(self, tenant: str, version: int, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrapping_context(tenant, version))
        except InvalidTag:
            raise KeyringError(
                f"tenant {tenant!r} key version {version}: cannot unwrap (wrong master key, or the key file was altered)"
            ) from None

    def _file(self, tenant: str) -> Path:
        return self.folder / f"{tenant}.key"

    def _tombstone(self, tenant: str) -> Path:
        return self.folder / f"{tenant}.shredded"


def _wrapping_context(tenant: str, version: int) -> bytes:
    return b"bf tenant key|" + tenant.encode() + b"|" + str(version).encode()
