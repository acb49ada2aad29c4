"""Fulfill: ship reserved stock, naming the exact places it is taken from.

Each item takes stock from a location inside the reservation's location.
What is taken leaves on-hand and the reservation at once; the reservation
stays open for whatever it still holds. Taking stock must not leave another
reservation without the stock it counts on.
"""

from domain.contracts.inventory_pb2 import Fulfilled, FulfillReq, FulfillResp
from domain.holds import holding_location, open_items, release
from domain.lookups import on_hand_at, require_location, require_positive
from domain.totals import add_along_ancestors, overcommitted
from workbench.core import Code, Rejected, Transaction


def fulfill(tx: Transaction, req: FulfillReq) -> FulfillResp:
    if not tx.exists("SELECT 1 FROM reservations WHERE uid = ?", (req.reservation,)):
        raise Rejected(Code.NOT_FOUND, f"reservation not found: {req.reservation}")
    if not req.items:
        raise Rejected(Code.INVALID_ARGUMENT, "nothing to fulfill: no items")
    held: dict[str, int] = {}
    for product, _, quantity in open_items(tx.db, req.reservation):
        held[product] = held.get(product, 0) + quantity
    if not held:
        raise Rejected(Code.FAILED_PRECONDITION, "reservation is closed: fulfilled or cancelled")
    items = []
    on_hand: dict[tuple[str, str], int] = {}
    for item in req.items:
        require_positive(item.quantity, "quantity")
        require_location(tx, item.location)
        if holding_location(tx.db, req.reservation, item.product, item.location) is None:
            raise Rejected(Code.FAILED_PRECONDITION, "the reservation holds no such product at or above that location")
        held[item.product] -= item.quantity
        if held[item.product] < 0:
            raise Rejected(Code.FAILED_PRECONDITION, "more than the reservation holds")
        place = (item.location, item.product)
        on_hand[place] = on_hand.get(place, on_hand_at(tx, *place)) - item.quantity
        if on_hand[place] < 0:
            raise Rejected(Code.FAILED_PRECONDITION, "not enough quantity")
        items.append(Fulfilled.Item(product=item.product, location=item.location, removed=item.quantity, onHand=on_hand[place]))
    tx.apply(Fulfilled(reservation=req.reservation, items=items))
    for location, product in on_hand:
        if overcommitted(tx.db, location, product):
            raise Rejected(Code.FAILED_PRECONDITION, "not enough quantity: other reservations need that stock")
    return FulfillResp()


def fulfilled(db, event: Fulfilled) -> None:
    for item in event.items:
        db.execute(
            "UPDATE stock SET on_hand = on_hand - ? WHERE location = ? AND product = ?",
            (item.removed, item.location, item.product),
        )
        add_along_ancestors(db, item.location, item.product, -item.removed, 0)
        holder = holding_location(db, event.reservation, item.product, item.location)
        if holder is not None:
            release(db, event.reservation, item.product, holder, item.removed)


HANDLERS = {FulfillReq: fulfill}
APPLIERS = {Fulfilled: fulfilled}
