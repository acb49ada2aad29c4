"""Fulfill: ship reserved stock, naming the exact places it is taken from.

Each item takes stock from a location inside the reservation's location.
What is taken leaves on-hand and the reservation at once (off the nearest
place the reservation holds it, when it holds it at several); the reservation
stays open for whatever it still holds. Taking stock must not leave another
reservation without the stock it counts on.
"""

from domain.contracts.inventory_pb2 import Fulfilled, FulfillReq, FulfillResp
from domain.holds import draw, holders_at_or_above, open_items, release
from domain.lookups import on_hand_at, require_id, require_location, require_positive
from domain.totals import add_along_ancestors, overcommitted
from workbench.core import Code, Rejected, Transaction


def fulfill(tx: Transaction, req: FulfillReq) -> FulfillResp:
    require_id(req.reservation, "reservation")
    if not tx.exists("SELECT 1 FROM reservations WHERE uid = ?", (req.reservation,)):
        raise Rejected(Code.NOT_FOUND, f"reservation not found: {req.reservation}")
    if not req.items:
        raise Rejected(Code.INVALID_ARGUMENT, "nothing to fulfill: no items")
    if not open_items(tx.db, req.reservation):
        raise Rejected(Code.FAILED_PRECONDITION, "reservation is closed: fulfilled or cancelled")
    items = []
    on_hand: dict[tuple[str, str], int] = {}
    drawn: dict[tuple[str, str], int] = {}  # (product, holder) -> taken by earlier items of this request
    for item in req.items:
        require_positive(item.quantity, "quantity")
        require_location(tx, item.location)
        holders = [
            (holder, held - drawn.get((item.product, holder), 0))
            for holder, held in holders_at_or_above(tx.db, req.reservation, item.product, item.location)
        ]
        if not holders:
            raise Rejected(Code.FAILED_PRECONDITION, "the reservation holds no such product at or above that location")
        taken = draw(holders, item.quantity)
        if sum(amount for _, amount in taken) < item.quantity:
            raise Rejected(Code.FAILED_PRECONDITION, "more than the reservation holds")
        for holder, amount in taken:
            drawn[item.product, holder] = drawn.get((item.product, holder), 0) + amount
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
        holders = holders_at_or_above(db, event.reservation, item.product, item.location)
        for holder, amount in draw(holders, item.removed):
            release(db, event.reservation, item.product, holder, amount)


HANDLERS = {FulfillReq: fulfill}
APPLIERS = {Fulfilled: fulfilled}
