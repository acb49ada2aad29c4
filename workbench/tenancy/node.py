"""The tenants of one `bf serve` node: encrypted when the operator gives a
master key, bounded when asked, in the clear otherwise (and it says so)."""

from __future__ import annotations

import os
from pathlib import Path

from workbench.core.domain import Domain
from workbench.tenancy.key_check import KEYS_FOLDER, check_data_folder, remember_key
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.master_key import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, master_key_from_environment
from workbench.tenancy.pool import TenantPool


def node_tenants(domain: Domain, data: Path, max_open: int | None = None,
                 environ: dict[str, str] | None = None) -> tuple[TenantPool, str]:
    """The pool, and one line saying how it keeps tenants. Raises MasterKeyError
    for a master key that is given but unusable, or that is not how the data folder
    is encrypted (then nothing on disk has changed)."""
    environ = os.environ if environ is None else environ
    master_key = None
    if environ.get(MASTER_KEY_ENV) or environ.get(MASTER_KEY_FILE_ENV):
        master_key = master_key_from_environment(environ)
    source = MASTER_KEY_ENV if environ.get(MASTER_KEY_ENV) else MASTER_KEY_FILE_ENV
    check_data_folder(Path(data), master_key, source)
    keyring = None if master_key is None else Keyring(Path(data) / KEYS_FOLDER, master_key)
    pool = TenantPool(domain, data, keyring, max_open)
    if master_key is not None:
        remember_key(Path(data), master_key)
    bound = f"at most {max_open} open" if max_open else "no bound on open tenants"
    if keyring is None:
        return pool, f"tenants NOT encrypted at rest (set {MASTER_KEY_ENV} or {MASTER_KEY_FILE_ENV}); {bound}"
    return pool, f"tenants encrypted at rest, keys in {keyring.folder}; {bound}"
