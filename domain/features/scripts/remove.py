"""Remove a script: the hook goes back to the plain behaviour.

Only an installed script can be removed; its hook's version count stays.
"""

from domain.contracts.scripts_pb2 import RemoveScriptReq, RemoveScriptResp, ScriptRemoved
from domain.scripting.hooks import installed_script
from workbench.core import Code, Rejected, Transaction


def remove_script(tx: Transaction, req: RemoveScriptReq) -> RemoveScriptResp:
    if installed_script(tx, req.hook) is None:
        raise Rejected(Code.NOT_FOUND, f"no script is installed on hook {req.hook!r}")
    version = tx.value("SELECT version FROM scripts WHERE hook = ?", (req.hook,))
    tx.apply(ScriptRemoved(hook=req.hook, version=version))
    return RemoveScriptResp()


def script_removed(db, event: ScriptRemoved) -> None:
    db.execute("UPDATE scripts SET source = NULL WHERE hook = ?", (event.hook,))


HANDLERS = {RemoveScriptReq: remove_script}
APPLIERS = {ScriptRemoved: script_removed}
