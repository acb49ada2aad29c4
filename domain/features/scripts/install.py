"""Install a script: a tenant's Lua code on a hook, replacing the one there.

The hook must be known and the source must compile; a compile error comes
back with its line. Each install on a hook gets the next version. What a
script can do, and what it answers, is in domain/scripting.
"""

from domain.contracts.scripts_pb2 import InstallScriptReq, InstallScriptResp, ScriptInstalled
from domain.scripting.hooks import HOOKS
from domain.scripting.runtime import MAX_SOURCE_BYTES
from domain.scripting.tenants import runtime_for
from workbench.core import Code, Rejected, Transaction


def install_script(tx: Transaction, req: InstallScriptReq) -> InstallScriptResp:
    if req.hook not in HOOKS:
        raise Rejected(Code.INVALID_ARGUMENT, f"unknown hook {req.hook!r}; hooks: {', '.join(HOOKS)}")
    if not req.source.strip():
        raise Rejected(Code.INVALID_ARGUMENT, "'source' is empty")
    problem = runtime_for(tx.db).compile_error(req.hook, req.source)
    if problem is not None:
        raise Rejected(Code.INVALID_ARGUMENT, problem)
    version = (tx.value("SELECT version FROM scripts WHERE hook = ?", (req.hook,)) or 0) + 1
    tx.apply(ScriptInstalled(hook=req.hook, source=req.source, version=version))
    return InstallScriptResp(version=version)


def script_installed(db, event: ScriptInstalled) -> None:
    db.execute(
        "INSERT INTO scripts(hook, version, source) VALUES (?, ?, ?)"
        " ON CONFLICT(hook) DO UPDATE SET version = excluded.version, source = excluded.source",
        (event.hook, event.version, event.source),
    )


HANDLERS = {InstallScriptReq: install_script}
APPLIERS = {ScriptInstalled: script_installed}
TEXT_LIMITS = {"bf.InstallScriptReq.source": MAX_SOURCE_BYTES}  # the runtime refuses more, with its own message
