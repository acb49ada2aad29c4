"""The access tokens a node accepts, kept as hashes in `<data>/auth/tokens.json`.

A token is `bft_` and 43 random URL-safe characters (256 bits), shown once when it
is made (`bf tokens create`). The node keeps only its SHA-256 with what it grants:
the operator role, or one tenant. A random 256-bit secret needs no slow hash: no
one can guess it from its SHA-256, so a stolen tokens file opens nothing.
Each token also has a short public id to list and revoke it by, and to name it in logs.

The file is 0600 in a 0700 folder, replaced whole (written aside, fsynced, renamed)
under a lock, so `bf tokens` can change it while a node serves; the node rereads it
when it changes: at once for a token it does not know, at most a second later for one it
revoked, so a new token works at once and a revoked one stops within a second.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from workbench.service.tenants import check_tenant_name

AUTH_FOLDER = "auth"
TOKENS_FILE = "tokens.json"
TOKEN_PREFIX = "bft_"
OPERATOR = "operator"
TENANT = "tenant"
RELOAD_SECONDS = 1.0


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class Grant:
    """What one token may do: everything (operator) or act on one tenant."""

    id: str
    role: str
    tenant: str
    created: str
    sha256: str

    @property
    def operator(self) -> bool:
        return self.role == OPERATOR

    def describe(self) -> str:
        return f"token {self.id} ({'operator' if self.operator else f'tenant {self.tenant}'})"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class TokenStore:
    def __init__(self, data: Path | str):
        self.path = Path(data) / AUTH_FOLDER / TOKENS_FILE
        self._by_hash: dict[str, Grant] = {}
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the file last read
        self._checked = float("-inf")

    def exists(self) -> bool:
        """Whether this data folder has a tokens file: from then on its node requires tokens."""
        return self.path.exists()

    def grants(self) -> list[Grant]:
        return self._read()

    def create(self, operator: bool, tenant: str = "") -> tuple[str, Grant]:
        """A new token: its text (shown once, never stored) and its grant."""
        token = new_token()
        return token, self.add(token, operator, tenant)

    def add(self, token: str, operator: bool, tenant: str = "") -> Grant:
        """Accept an existing token here too (one operator token for the nodes of a cluster)."""
        if not operator:
            check_tenant_name(tenant)
        if len(token) < 32:
            raise TokenError("a token is at least 32 characters (`bf tokens create` makes them)")
        grant = Grant(secrets.token_hex(4), OPERATOR if operator else TENANT, "" if operator else tenant,
                      datetime.now(timezone.utc).isoformat(timespec="seconds"), token_hash(token))
        if any(g.sha256 == grant.sha256 for g in self._read()):
            raise TokenError("this token is accepted here already")
        with self._changing() as grants:
            grants.append(grant)
        return grant

    def revoke(self, token_id: str) -> Grant:
        """Stop accepting a token; revoking the last leaves a node that accepts none (it never reopens)."""
        unknown = TokenError(f"no token {token_id[:20]!r} in {self.path} (`bf tokens list` shows their ids)")
        if not any(grant.id == token_id for grant in self._read()):
            raise unknown  # before _changing, which would make the folder
        with self._changing() as grants:  # an error inside leaves the file as it was
            revoked = next((grant for grant in grants if grant.id == token_id), None)
            if revoked is None:
                raise unknown
            grants.remove(revoked)
        return revoked

    def lookup(self, token: str) -> Grant | None:
        """The grant of a presented token, or None when this node does not accept it. A token
        it does not know makes it look at the file at once (a stat when nothing changed)."""
        now = time.monotonic()
        if now - self._checked >= RELOAD_SECONDS:
            self._reload()
            self._checked = now
        digest = token_hash(token)
        grant = self._by_hash.get(digest)
        if grant is None:
            self._reload()
            grant = self._by_hash.get(digest)
        return grant

    def _reload(self) -> None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._by_hash, self._seen = {}, None  # deleted: nothing is accepted (the node still requires tokens)
            return
        if (info.st_mtime_ns, info.st_size) == self._seen:
            return
        try:
            grants = self._read()
        except TokenError:
            return  # a half-edited file by hand: keep what was accepted until it reads again
        self._by_hash = {grant.sha256: grant for grant in grants}
        self._seen = (info.st_mtime_ns, info.st_size)

    def _read(self) -> list[Grant]:
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            return [Grant(**record) for record in stored["tokens"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise TokenError(f"{self.path}: unreadable tokens file: {type(error).__name__}") from None

    @contextmanager
    def _changing(self) -> Iterator[list[Grant]]:
        """The grants, to change in place; written back whole, one writer at a time."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            grants = self._read()
            yield grants
            temporary = self.path.with_suffix(".tmp")
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
                json.dump({"tokens": [asdict(grant) for grant in grants]}, file, indent=1)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
