"""The data folder remembers how it is encrypted, so a node never starts with the wrong key.

`keys/master-key.check` holds a key check value: an HMAC-SHA256 of a fixed label
under the master key. It proves a key is the right one and says nothing about
the key (finding it would take breaking HMAC-SHA256). Before a node touches a data
folder, `check_data_folder` refuses, with one line naming the problem and having
changed nothing:
  a key that does not match the folder's check value (or cannot unwrap its tenant keys);
  no key for a folder that holds tenant keys or a check value;
  a key for a folder whose tenants are kept in the clear.
"""

from __future__ import annotations

import hmac
import os
from hashlib import sha256
from pathlib import Path

from workbench.service.tenant import LOG_FILE
from workbench.tenancy.keyring import Keyring, KeyringError
from workbench.tenancy.master_key import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, MasterKeyError
from workbench.tenancy.moved import MOVED_FILE

KEYS_FOLDER = "keys"
CHECK_FILE = "master-key.check"
CHECK_LABEL = b"bf master key check v1"
CHECK_FORMAT = "bf-key-check-v1"


def key_check_value(master_key: bytes) -> str:
    return hmac.new(master_key, CHECK_LABEL, sha256).hexdigest()


def check_data_folder(data: Path, master_key: bytes | None, source: str = "the master key") -> None:
    """Raise MasterKeyError when `master_key` (None: none given; `source`: where it came from) is not
    how `data` is encrypted. Reads only."""
    data = Path(data)
    keys = data / KEYS_FOLDER
    remembered = _remembered(keys / CHECK_FILE)
    wrapped = sorted(keys.glob("*.key"))
    if master_key is None:
        if remembered or wrapped:
            raise MasterKeyError(f"{data} is encrypted and no master key was given: set {MASTER_KEY_ENV} or"
                                 f" {MASTER_KEY_FILE_ENV} to the key it was encrypted with")
        return
    if remembered is not None:
        if not hmac.compare_digest(remembered, key_check_value(master_key)):
            raise MasterKeyError(f"the master key given ({source}) is not the one {data} is encrypted with:"
                                 f" its key check value ({keys / CHECK_FILE}) does not match")
        return
    clear = _tenants_in_the_clear(data)
    if clear:
        raise MasterKeyError(f"{data} keeps {len(clear)} tenant(s) in the clear ({', '.join(clear[:5])}):"
                             f" start without a master key, or give an encrypted node a new data folder")
    if wrapped:  # encrypted before the check value existed: a tenant key must unwrap
        try:
            Keyring(keys, master_key).keys(wrapped[0].stem)
        except KeyringError:
            raise MasterKeyError(f"the master key given ({source}) is not the one {data} is encrypted with:"
                                 f" it cannot unwrap {wrapped[0]}") from None


def remember_key(data: Path, master_key: bytes) -> None:
    """Record the key check value of a folder the key was just checked against (once)."""
    path = Path(data) / KEYS_FOLDER / CHECK_FILE
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="ascii") as file:
        file.write(f"{CHECK_FORMAT} {key_check_value(master_key)}\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _remembered(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").split()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise MasterKeyError(f"{path}: unreadable key check file: {error}") from None
    if len(text) != 2 or text[0] != CHECK_FORMAT:
        raise MasterKeyError(f"{path}: not a key check file (expected '{CHECK_FORMAT} <hex>')")
    return text[1]


def _tenants_in_the_clear(data: Path) -> list[str]:
    keys = data / KEYS_FOLDER
    return sorted(log.parent.name for log in (data / "tenants").glob(f"*/{LOG_FILE}")
                  if not (log.parent / MOVED_FILE).exists()
                  and not (keys / f"{log.parent.name}.key").exists()
                  and not (keys / f"{log.parent.name}.shredded").exists())
