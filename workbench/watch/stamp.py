"""What changes when a file is saved, and when a cached copy of it can be trusted."""

from __future__ import annotations

import os
import time

# The kernel stamps files with a coarse clock: a file saved again within one tick
# (a few ms) of being read may keep its stamp. Like git's "racy clean" check, a
# file saved this recently is read again next time instead of trusted.
_RACY_NS = 200_000_000


def file_stamp(path) -> tuple:
    """Modification time, size and inode (editors that replace a file change the inode); () when it is gone."""
    try:
        status = os.stat(path)
    except OSError:
        return ()
    return status.st_mtime_ns, status.st_size, status.st_ino


def settled(stamp: tuple) -> bool:
    """Whether what was read under `stamp` may be kept: the file was not saved a moment ago."""
    return bool(stamp) and time.time_ns() - stamp[0] > _RACY_NS
