"""Small questions many features ask of the state."""

from __future__ import annotations

from workbench.core import Code, Rejected, Transaction

MAX_QUANTITY = 2**63 - 1  # int64, the wire type of every quantity


def require_id(value: str, what: str) -> None:
    if not value:
        raise Rejected(Code.INVALID_ARGUMENT, f"'{what}' is empty")


def require_location(tx: Transaction, uid: str) -> None:
    if not tx.exists("SELECT 1 FROM locations WHERE uid = ?", (uid,)):
        raise Rejected(Code.NOT_FOUND, f"location not found: {uid}")


def require_product(tx: Transaction, uid: str) -> None:
    if not tx.exists("SELECT 1 FROM products WHERE uid = ?", (uid,)):
        raise Rejected(Code.NOT_FOUND, f"product not found: {uid}")


def require_positive(quantity: int, what: str) -> None:
    if quantity <= 0:
        raise Rejected(Code.INVALID_ARGUMENT, f"'{what}' must be positive, got {quantity}")


def on_hand_at(tx: Transaction, location: str, product: str) -> int:
    """Stock kept at `location` itself, not counting its sub-locations."""
    return tx.value("SELECT on_hand FROM stock WHERE location = ? AND product = ?", (location, product)) or 0


def is_within(tx: Transaction, location: str, ancestor: str) -> bool:
    """True when `location` is `ancestor` or lies somewhere below it."""
    return tx.exists("SELECT 1 FROM ancestry WHERE location = ? AND ancestor = ?", (location, ancestor))
