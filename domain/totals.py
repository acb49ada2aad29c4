"""Subtree totals: on-hand and reserved per location and product, summed over
the location's whole subtree, so that availability never walks the tree.

The rule the whole domain keeps: at every location, for every product, what
reservations placed in its subtree hold never exceeds what its subtree has on
hand. A reservation on a container may take stock from anywhere below it, so
it limits what can be reserved inside the container and above it.
"""

from __future__ import annotations

import sqlite3

_ADD_ALONG_ANCESTORS = """
INSERT INTO subtree_totals(location, product, on_hand, reserved)
SELECT ancestor, ?2, ?3, ?4 FROM ancestry WHERE location = ?1
ON CONFLICT(location, product) DO UPDATE
SET on_hand = on_hand + excluded.on_hand, reserved = reserved + excluded.reserved
"""

_AVAILABLE = """
SELECT min(coalesce(t.on_hand, 0) - coalesce(t.reserved, 0))
FROM ancestry a LEFT JOIN subtree_totals t ON t.location = a.ancestor AND t.product = ?2
WHERE a.location = ?1
"""

_OVERCOMMITTED = """
SELECT 1 FROM ancestry a JOIN subtree_totals t ON t.location = a.ancestor AND t.product = ?2
WHERE a.location = ?1 AND t.reserved > t.on_hand LIMIT 1
"""


def add_along_ancestors(db: sqlite3.Connection, location: str, product: str, on_hand: int, reserved: int) -> None:
    """Add to the totals of `location` and of every location above it."""
    db.execute(_ADD_ALONG_ANCESTORS, (location, product, on_hand, reserved))


def available(db: sqlite3.Connection, location: str, product: str) -> int:
    """How much of `product` a new reservation at `location` could still take."""
    return db.execute(_AVAILABLE, (location, product)).fetchone()[0] or 0


def overcommitted(db: sqlite3.Connection, location: str, product: str) -> bool:
    """True when, at `location` or above it, reservations hold more than is on hand."""
    return db.execute(_OVERCOMMITTED, (location, product)).fetchone() is not None
