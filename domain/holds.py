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


def holding_location(db: sqlite3.Connection, reservation: str, product: str, taken_from: str) -> str | None:
    """The location where `reservation` holds `product` for stock taken at `taken_from`:
    the nearest one at or above it."""
    row = db.execute(
        "SELECT ri.location FROM reservation_items ri"
        " JOIN ancestry a ON a.ancestor = ri.location AND a.location = ?"
        " WHERE ri.reservation = ? AND ri.product = ? ORDER BY a.depth LIMIT 1",
        (taken_from, reservation, product),
    ).fetchone()
    return None if row is None else row[0]


def open_items(db: sqlite3.Connection, reservation: str) -> list[tuple[str, str, int]]:
    """(product, location, quantity) still held by `reservation`, oldest product first."""
    return db.execute(
        "SELECT ri.product, ri.location, ri.quantity FROM reservation_items ri"
        " JOIN products p ON p.uid = ri.product JOIN locations l ON l.uid = ri.location"
        " WHERE ri.reservation = ? ORDER BY p.rowid, l.rowid",
        (reservation,),
    ).fetchall()
