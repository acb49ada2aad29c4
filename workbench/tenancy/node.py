"""The tenants of one `bf serve` node: encrypted when the operator gives a
master key, bounded when asked, in the clear otherwise (and it says so)."""

from __future__ import annotations

import os
from pathlib import Path

from workbench.core.domain import Domain
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.master_key import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, master_key_from_environment
from workbench.tenancy.pool import TenantPool

KEYS_FOLDER = "keys"


def node_tenants(domain: Domain, data: Path, max_open: int | None = None,
                 environ: dict[str, str] | None = None) -> tuple[TenantPool, str]:
    """The pool, and one line saying how it keeps tenants. Raises MasterKeyError
    for a master key that is given but unusable."""
    environ = os.environ if environ is None else environ
    keyring = None
    if environ.get(MASTER_KEY_ENV) or environ.get(MASTER_KEY_FILE_ENV):
        keyring = Keyring(Path(data) / KEYS_FOLDER, master_key_from_environment(environ))
    pool = TenantPool(domain, data, keyring, max_open)
    bound = f"at most {max_open} open" if max_open else "no bound on open tenants"
    if keyring is None:
        return pool, f"tenants NOT encrypted at rest (set {MASTER_KEY_ENV} or {MASTER_KEY_FILE_ENV}); {bound}"
    return pool, f"tenants encrypted at rest, keys in {keyring.folder}; {bound}"
