"""Files a node creates are its owner's alone: 0600 files, 0700 folders, whatever the umask.

A node's files hold tenants' data, their wrapped keys and the hashes of access
tokens. Setting the process umask once, before anything is created, covers every
file at once: the event logs and states SQLite creates (with their WAL and
shared-memory files, which SQLite gives the mode of their database), archives,
key files, token files, and any file a later feature adds, with no mode to forget.
"""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o077


def keep_files_private() -> None:
    """From now on this process creates files 0600 and folders 0700 (call it before touching the data folder)."""
    os.umask(PRIVATE_UMASK)
