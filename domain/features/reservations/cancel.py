"""Cancel a reservation: everything it still holds becomes available again."""

from domain.contracts.bf_pb2 import CancelReservationReq, CancelReservationResp
from domain.contracts.inventory_pb2 import Cancelled
from domain.holds import open_items, release
from domain.lookups import require_id
from workbench.core import Code, Rejected, Transaction


def cancel_reservation(tx: Transaction, req: CancelReservationReq) -> CancelReservationResp:
    require_id(req.reservation, "reservation")
    if not tx.exists("SELECT 1 FROM reservations WHERE uid = ?", (req.reservation,)):
        raise Rejected(Code.NOT_FOUND, f"reservation not found: {req.reservation}")
    items = open_items(tx.db, req.reservation)
    if not items:
        raise Rejected(Code.FAILED_PRECONDITION, "reservation is closed: fulfilled or cancelled")
    released = [Cancelled.Item(product=p, location=l, released=q) for p, l, q in items]
    tx.apply(Cancelled(reservation=req.reservation, items=released))
    return CancelReservationResp()


def cancelled(db, event: Cancelled) -> None:
    for item in event.items:
        release(db, event.reservation, item.product, item.location, item.released)


HANDLERS = {CancelReservationReq: cancel_reservation}
APPLIERS = {Cancelled: cancelled}
