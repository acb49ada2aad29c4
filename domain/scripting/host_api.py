"""What a script may ask of its tenant's state: the `inventory` table in Lua.

    inventory.product(id_or_sku)         -> {uid=, sku=} or nil
    inventory.location(uid)              -> {uid=, name=, parent=} or nil
    inventory.find_location(name)        -> the first location with that name (creation order), or nil
    inventory.on_hand(location, product) -> stock in the location's subtree (GetLocInventory's OnHand)
    inventory.available(location, product) -> what a reservation there could take (GetLocInventory's Available)

`product` may be an id or a SKU. Everything here only reads: a script
changes state only through the decision it returns. Each function answers
(value, problem); the Lua side turns a problem into an error at the
script's line.
"""

from __future__ import annotations

from typing import Any, Callable

from domain.totals import available
from workbench.core import Transaction

Answer = tuple[Any, str | None]


class HostApi:
    def __init__(self, make_table: Callable[[dict], Any], calls_per_run: int):
        self._make_table = make_table
        self._calls_per_run = calls_per_run
        self._tx: Transaction | None = None
        self._calls = 0
        self.exhausted = False

    def functions(self) -> dict[str, Callable[..., Answer]]:
        return {
            "product": self._counted(self.product),
            "location": self._counted(self.location),
            "find_location": self._counted(self.find_location),
            "on_hand": self._counted(self.on_hand),
            "available": self._counted(self.available),
        }

    def begin(self, tx: Transaction) -> None:
        self._tx, self._calls, self.exhausted = tx, 0, False

    def end(self) -> None:
        self._tx = None

    def detach(self) -> None:
        """Let go of the Lua runtime: it is being replaced."""
        self._make_table = None

    def _counted(self, function: Callable[..., Answer]) -> Callable[..., Answer]:
        def call(*args: Any) -> Answer:
            if self._tx is None:
                return None, "called outside a script run"
            self._calls += 1
            if self._calls > self._calls_per_run:
                self.exhausted = True
                return None, f"more than {self._calls_per_run:,} calls in one run"
            if not all(isinstance(arg, str) for arg in args):
                return None, "expects string arguments (ids, SKUs or names)"
            return function(*args)
        return call

    def product(self, id_or_sku: str) -> Answer:
        row = self._tx.one("SELECT uid, sku FROM products WHERE uid = ?1 OR sku = ?1", (id_or_sku,))
        return (None if row is None else self._make_table({"uid": row[0], "sku": row[1]})), None

    def location(self, uid: str) -> Answer:
        return self._location_row("uid = ?", uid), None

    def find_location(self, name: str) -> Answer:
        return self._location_row("name = ? AND parent IS NOT NULL ORDER BY rowid", name), None

    def on_hand(self, location: str, product: str) -> Answer:
        known, problem = self._known(location, product)
        if problem:
            return None, problem
        value = self._tx.value("SELECT on_hand FROM subtree_totals WHERE location = ? AND product = ?", known)
        return value or 0, None

    def available(self, location: str, product: str) -> Answer:
        known, problem = self._known(location, product)
        if problem:
            return None, problem
        return available(self._tx.db, *known), None

    def _location_row(self, condition: str, value: str) -> Any:
        row = self._tx.one(f"SELECT uid, name, parent FROM locations WHERE {condition} LIMIT 1", (value,))
        if row is None:
            return None
        return self._make_table({"uid": row[0], "name": row[1], "parent": row[2] or ""})

    def _known(self, location: str, product: str) -> tuple[tuple[str, str], str | None]:
        if not self._tx.exists("SELECT 1 FROM locations WHERE uid = ?", (location,)):
            return (location, product), f"unknown location {location!r}"
        uid = self._tx.value("SELECT uid FROM products WHERE uid = ?1 OR sku = ?1", (product,))
        if uid is None:
            return (location, product), f"unknown product {product!r}"
        return (location, uid), None
