"""What open reservations hold: taken by Reserved, given back by Fulfilled and Cancelled."""

from __future__ import annotations

import sqlite3

from domain.totals import add_along_ancestors


def hold(db: sqlite3.Connection, reservation: str, product: str, location: str, quantity: int) -> None:
    db.execute(
        "INSERT INTO reservation_items(reservation, product, location, quantity) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(reservation, product, location) DO UPDATE SET quantity = quantity + excluded.quantity",
        (reservation, product, location, quantity),
    )
    add_along_ancestors(db, location, product, 0, quantity)


def release(db: sqlite3.Connection, reservation: str, product: str, location: str, quantity: int) -> None:
    db.execute(
        "UPDATE reservation_items SET quantity = quantity - ? WHERE reservation = ? AND product = ? AND location = ?",
        (quantity, reservation, product, location),
    )
    db.execute("DELETE FROM reservation_items WHERE reservation = ? AND quantity <= 0", (reservation,))
    add_along_ancestors(db, location, product, 0, -quantity)


def holders_at_or_above(db: sqlite3.Connection, reservation: str, product: str, location: str) -> list[tuple[str, int]]:
    """Where `reservation` holds `product` at or above `location`, nearest first,
    with the quantity held there: where stock taken at `location` may come off."""
    return db.execute(
        "SELECT ri.location, ri.quantity FROM reservation_items ri"
        " JOIN ancestry a ON a.ancestor = ri.location AND a.location = ?"
        " WHERE ri.reservation = ? AND ri.product = ? ORDER BY a.depth",
        (location, reservation, product),
    ).fetchall()


def draw(holders: list[tuple[str, int]], quantity: int) -> list[tuple[str, int]]:
    """Take `quantity` off `holders`, nearest first: [(holder, amount)].
    Falls short, rather than going negative, when they hold too little."""
    taken = []
    for holder, held in holders:
        if quantity <= 0:
            break
        amount = min(held, quantity)
        if amount > 0:
            taken.append((holder, amount))
            quantity -= amount
    return taken


def open_items(db: sqlite3.Connection, reservation: str) -> list[tuple[str, str, int]]:
    """(product, location, quantity) still held by `reservation`, oldest product first."""
    return db.execute(
        "SELECT ri.product, ri.location, ri.quantity FROM reservation_items ri"
        " JOIN products p ON p.uid = ri.product JOIN locations l ON l.uid = ri.location"
        " WHERE ri.reservation = ? ORDER BY p.rowid, l.rowid",
        (reservation,),
    ).fetchall()
