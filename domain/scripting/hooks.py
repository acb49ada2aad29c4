"""The hooks features call, and what a script's answer means at each.

A hook with no script installed costs one indexed lookup. A script answers
nothing to let the request go on, or a table:

    reserve           {reject = "why"}  or  {location = uid}  (reserve there instead)
    update_inventory  {reject = "why"}
"""

from __future__ import annotations

from typing import Any, Callable

from domain.contracts.inventory_pb2 import ReserveReq, UpdateInventoryReq
from domain.features.scripts.overrun import overrun_events
from domain.scripting.runtime import ScriptFailure, lua_type_name
from domain.scripting.tenants import runtime_for
from workbench.core import Code, Rejected, Transaction

RESERVE = "reserve"
UPDATE_INVENTORY = "update_inventory"
HOOKS = (RESERVE, UPDATE_INVENTORY)


def installed_script(tx: Transaction, hook: str) -> str | None:
    return tx.value("SELECT source FROM scripts WHERE hook = ? AND source IS NOT NULL", (hook,))


def reserve_location_by_script(tx: Transaction, req: ReserveReq, location: str) -> str:
    """Where the reservation goes: `location`, or the one the reserve script picks.

    Call it once the items are known to name existing products. Raises
    Rejected when the script says no or fails.
    """
    def request() -> dict:
        items = [{"sku": item.sku, "quantity": item.quantity,
                  "product": tx.value("SELECT uid FROM products WHERE sku = ?", (item.sku,))} for item in req.items]
        return {"reservation": req.reservation, "location": location, "tags": dict(req.tags), "items": items}

    answer = _run(tx, RESERVE, request, allowed=("reject", "location"))
    if answer is None or answer.get("location") is None:
        return location
    chosen = answer["location"]
    if not tx.exists("SELECT 1 FROM locations WHERE uid = ?", (chosen,)):
        raise Rejected(Code.FAILED_PRECONDITION, f"reserve script chose an unknown location: {chosen}")
    return chosen


def check_update_by_script(tx: Transaction, req: UpdateInventoryReq, on_hand: int) -> None:
    """Raises Rejected when the update_inventory script says no or fails.

    `on_hand` is what the location itself would hold after the update.
    """
    def request() -> dict:
        return {"location": req.location, "product": req.product, "change": req.OnHandChange, "on_hand": on_hand}

    _run(tx, UPDATE_INVENTORY, request, allowed=("reject",))


def _run(tx: Transaction, hook: str, request: Callable[[], dict], allowed: tuple[str, ...]) -> dict[str, Any] | None:
    """The script's answer on `hook`; `request` builds what it sees, only when a script is installed."""
    source = installed_script(tx, hook)
    if source is None:
        return None
    try:
        answer = runtime_for(tx.db).run(hook, source, request(), tx)
    except ScriptFailure as failure:
        if failure.code is not Code.RESOURCE_EXHAUSTED:
            raise Rejected(failure.code, failure.message) from None
        recorded, consequence = overrun_events(tx, hook, failure.message)
        raise Rejected(failure.code, failure.message + consequence, recorded) from None
    if answer is None:
        return None
    unknown = sorted(key[:40] if isinstance(key, str) else f"[{lua_type_name(key)}]"
                     for key in answer if key not in allowed)
    if unknown:
        raise Rejected(Code.FAILED_PRECONDITION,
                       f"{hook} script answered unknown field(s) {', '.join(unknown)}; it may answer {', '.join(allowed)}")
    for field, value in answer.items():
        if not isinstance(value, str):
            raise Rejected(Code.FAILED_PRECONDITION,
                           f"{hook} script answered {field} = a {lua_type_name(value)}; it must be a string")
    reason = answer.get("reject")
    if reason is not None:
        raise Rejected(Code.FAILED_PRECONDITION, f"{hook} script rejected the request: {reason}")
    return answer
