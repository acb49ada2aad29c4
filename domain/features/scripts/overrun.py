"""A script overran its bounds: counted per version, and disabled at the third.

A run that goes over its instruction budget, memory, time or host calls fails
its request (domain/scripting/runtime.py); the refusal still records
`ScriptOverran` with the version's count. The third overrun of one version
records `ScriptDisabled` instead: the hook then runs no script, as after
RemoveScript, so a script that hangs on some input stops costing every
request (and every restart) its full bound. Installing a new version starts
the count again.
"""

from domain.contracts.scripts_pb2 import ScriptDisabled, ScriptOverran
from workbench.core import Transaction

OVERRUNS_BEFORE_DISABLED = 3

# For states made before the table was in the schema.
_CREATE = ("CREATE TABLE IF NOT EXISTS script_overruns"
           " (hook TEXT PRIMARY KEY, version INTEGER NOT NULL, overruns INTEGER NOT NULL) WITHOUT ROWID")


def overrun_events(tx: Transaction, hook: str, reason: str) -> tuple[list, str]:
    """What the overrun of `hook`'s script records, and what its request's message adds."""
    version = tx.value("SELECT version FROM scripts WHERE hook = ?", (hook,))
    tx.db.execute(_CREATE)
    earlier = tx.value("SELECT overruns FROM script_overruns WHERE hook = ? AND version = ?", (hook, version)) or 0
    overruns = earlier + 1
    if overruns >= OVERRUNS_BEFORE_DISABLED:
        why = f"overran its bounds {overruns} times"
        return ([ScriptDisabled(hook=hook, version=version, reason=f"{why}; last: {reason}")],
                f"; version {version} {why} and is disabled until a new version is installed")
    return [ScriptOverran(hook=hook, version=version, overruns=overruns, reason=reason)], ""


def script_overran(db, event: ScriptOverran) -> None:
    db.execute(_CREATE)
    db.execute("INSERT OR REPLACE INTO script_overruns(hook, version, overruns) VALUES (?, ?, ?)",
               (event.hook, event.version, event.overruns))


def script_disabled(db, event: ScriptDisabled) -> None:
    db.execute("UPDATE scripts SET source = NULL WHERE hook = ? AND version = ?", (event.hook, event.version))
    db.execute(_CREATE)
    db.execute("DELETE FROM script_overruns WHERE hook = ?", (event.hook,))


APPLIERS = {ScriptOverran: script_overran, ScriptDisabled: script_disabled}
