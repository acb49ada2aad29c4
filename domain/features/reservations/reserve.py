"""Reserve: hold stock for a sale, at any location of the tree.

The reservation may later take its stock from anywhere inside its location,
so it must fit what is available there: on-hand less what other reservations
hold, at that location and at every location above it. Items of the same
product add up. The caller's code must be unique; the reservation gets an id.
"""

from domain.contracts.inventory_pb2 import Reserved, ReserveReq, ReserveResp
from domain.holds import hold
from domain.lookups import require_location, require_positive
from domain.scripting.hooks import reserve_location_by_script
from domain.totals import available
from workbench.core import ROOT, Code, Rejected, Transaction


def reserve(tx: Transaction, req: ReserveReq) -> ReserveResp:
    if not req.reservation:
        raise Rejected(Code.INVALID_ARGUMENT, "'reservation' (the reservation code) is empty")
    if not req.items:
        raise Rejected(Code.INVALID_ARGUMENT, "a reservation needs at least one item")
    location = req.location or ROOT
    require_location(tx, location)
    if tx.exists("SELECT 1 FROM reservations WHERE code = ?", (req.reservation,)):
        raise Rejected(Code.ALREADY_EXISTS, f"reservation code already exists: {req.reservation}")
    wanted: dict[str, int] = {}
    for item in req.items:
        require_positive(item.quantity, "quantity")
        product = tx.value("SELECT uid FROM products WHERE sku = ?", (item.sku,))
        if product is None:
            raise Rejected(Code.NOT_FOUND, f"product not found: {item.sku}")
        wanted[product] = wanted.get(product, 0) + item.quantity
    location = reserve_location_by_script(tx, req, location)
    for product, quantity in wanted.items():
        if available(tx.db, location, product) < quantity:
            raise Rejected(Code.FAILED_PRECONDITION, "not enough quantity")
    uid = tx.new_id()
    items = [Reserved.Item(product=p, quantity=q, location=location) for p, q in wanted.items()]
    tx.apply(Reserved(reservation=uid, code=req.reservation, items=items))
    return ReserveResp(reservation=uid)


def reserved(db, event: Reserved) -> None:
    db.execute("INSERT INTO reservations(uid, code) VALUES (?, ?)", (event.reservation, event.code))
    for item in event.items:
        hold(db, event.reservation, item.product, item.location or ROOT, item.quantity)


HANDLERS = {ReserveReq: reserve}
APPLIERS = {Reserved: reserved}
