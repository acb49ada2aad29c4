"""Update inventory: add stock to a location, or take it away.

Stock lives in real places, never at the root. On-hand never goes negative,
nor above the int64 maximum anywhere (a container's on-hand sums its subtree's),
and stock reserved above the location cannot be taken away.
"""

from domain.contracts.inventory_pb2 import InventoryUpdated, UpdateInventoryReq, UpdateInventoryResp
from domain.lookups import MAX_QUANTITY, on_hand_at, require_location, require_product
from domain.scripting.hooks import check_update_by_script
from domain.totals import add_along_ancestors, overcommitted
from workbench.core import ROOT, Code, Rejected, Transaction


def update_inventory(tx: Transaction, req: UpdateInventoryReq) -> UpdateInventoryResp:
    if not req.location or not req.product:
        raise Rejected(Code.INVALID_ARGUMENT, "'location' and 'product' are required")
    if req.location == ROOT:
        raise Rejected(Code.INVALID_ARGUMENT, "invalid argument: stock cannot be kept at the root")
    if req.OnHandChange == 0:
        raise Rejected(Code.INVALID_ARGUMENT, "'OnHandChange' is zero")
    require_location(tx, req.location)
    require_product(tx, req.product)
    on_hand = on_hand_at(tx, req.location, req.product) + req.OnHandChange
    if on_hand < 0:
        raise Rejected(Code.FAILED_PRECONDITION, "not enough quantity")
    # Every container reports its subtree's on-hand as an int64 too: the root's is the largest.
    if _tenant_on_hand(tx, req.product) + req.OnHandChange > MAX_QUANTITY:
        raise Rejected(Code.OUT_OF_RANGE, "on-hand would exceed the largest quantity")
    check_update_by_script(tx, req, on_hand)
    tx.apply(InventoryUpdated(location=req.location, product=req.product, OnHandChange=req.OnHandChange, OnHand=on_hand))
    if req.OnHandChange < 0 and overcommitted(tx.db, req.location, req.product):
        raise Rejected(Code.FAILED_PRECONDITION, "not enough quantity: the stock is reserved")
    return UpdateInventoryResp(OnHand=on_hand)


def _tenant_on_hand(tx: Transaction, product: str) -> int:
    return tx.value("SELECT on_hand FROM subtree_totals WHERE location = ? AND product = ?", (ROOT, product)) or 0


def inventory_updated(db, event: InventoryUpdated) -> None:
    db.execute(
        "INSERT INTO stock(location, product, on_hand) VALUES (?, ?, ?)"
        " ON CONFLICT(location, product) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
        (event.location, event.product, event.OnHandChange),
    )
    add_along_ancestors(db, event.location, event.product, event.OnHandChange, 0)


HANDLERS = {UpdateInventoryReq: update_inventory}
APPLIERS = {InventoryUpdated: inventory_updated}
