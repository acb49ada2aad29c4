"""One Lua runtime per tenant, reused across its requests.

A tenant is its SQLite connection (what a Transaction carries). Connections
cannot be weakly referenced, so runtimes are kept by the connection's id in a
small LRU. A runtime holds no tenant state between runs (each run gets fresh
globals; chunks are cached by source), so a reused id can never leak one
tenant's data into another's run.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict

from domain.scripting.runtime import ScriptRuntime

_KEPT_RUNTIMES = 64

_runtimes: OrderedDict[int, ScriptRuntime] = OrderedDict()
_lock = threading.Lock()


def runtime_for(db: sqlite3.Connection) -> ScriptRuntime:
    key = id(db)
    with _lock:
        runtime = _runtimes.get(key)
        if runtime is None:
            runtime = _runtimes[key] = ScriptRuntime()
            if len(_runtimes) > _KEPT_RUNTIMES:
                _runtimes.popitem(last=False)
        else:
            _runtimes.move_to_end(key)
        return runtime
