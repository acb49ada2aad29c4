"""Compaction: the shortest event sequence that rebuilds a tenant's current state.

Read from the state tables, not from the old log:
- every location once, in creation order (listings show that order, also
  between locations a later move makes siblings), in its current place; one
  created before its current parent is parked and moved there (one extra event);
- every product once, in creation order;
- one stock update per place that holds stock, adding its net on-hand;
- every reservation once: open ones with what they still hold, closed ones
  with no items, because their codes stay taken (a reused code is refused);
- every script hook at its version (a removed one installed empty, then
  removed: versions keep counting), every report as defined.
Replaying these into an empty state gives a state with the same fingerprint
under CANON (tests prove it on random and stress-sized histories).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from domain.contracts.inventory_pb2 import InventoryUpdated, LocationAdded, LocationMoved, ProductAdded, Reserved
from domain.contracts.scripts_pb2 import ReportDefined, ScriptInstalled, ScriptRemoved
from workbench.core import ROOT
from workbench.tenancy.fingerprint import Canon

# Listings show products and locations in creation order (two locations may
# become siblings by a later move), so that order is part of the state; a stock
# or totals row of zeros reads the same as no row.
CANON = Canon(
    order_within={"locations": None, "products": None},
    zero_is_absent={"stock": ("on_hand",), "subtree_totals": ("on_hand", "reserved")},
)


class CompactionError(Exception):
    pass


# The state tables these events rebuild (derived ones come with them): a test
# fails when the schema gains a table compaction does not know.
TABLES_REBUILT = {
    "locations", "ancestry", "products", "stock", "subtree_totals", "reservations", "reservation_items",
    "scripts", "reports", "report_locations",
}


def compacted_events(db) -> list:
    return [*_locations(db), *_products(db), *_stock(db), *_reservations(db), *_scripts(db), *_reports(db)]


def _locations(db) -> Iterator[LocationAdded | LocationMoved]:
    """Every location in creation order, so that listings after any later move
    still show creation order. A location made before its current parent is
    parked where its name is free until then, and moved in once the parent is added."""
    rows = db.execute("SELECT uid, name, parent FROM locations WHERE uid != ? ORDER BY rowid", (ROOT,)).fetchall()
    tree = _Tree({uid: parent for uid, _, parent in rows}, {uid: name for uid, name, _ in rows})
    waiting = defaultdict(list)  # parent not added yet -> (child, where it is parked)
    for uid, name, parent in rows:
        place = parent if parent in tree.added else tree.parking_for(uid)
        yield LocationAdded(uid=uid, name=name, parent=place)
        tree.add(uid, place)
        if place != parent:
            waiting[parent].append((uid, place))
        for child, parked in waiting.pop(uid, []):
            yield LocationMoved(uid=child, oldParent=parked, newParent=uid)
            tree.move(child, parked, uid)


class _Tree:
    """The tree as the compacted events build it, on its way to the final one.

    A location is settled once under its final parent, and grounded when it and
    everything above it are settled. Parking only under a final ancestor or a
    grounded location keeps every move acyclic: while replaying, a location's
    ancestors are among its final ancestors and grounded locations, and the
    one moving in under it is neither (it is its final child, and parked).
    """

    def __init__(self, final_parent: dict[str, str], names: dict[str, str]):
        self.final_parent = final_parent
        self.names = names
        self.created = {uid: rank for rank, uid in enumerate(final_parent)}
        self.added = {ROOT}
        self.grounded = {ROOT: None}  # a dict: candidates are tried in a stable order
        self.children_now: dict[str, list[str]] = defaultdict(list)
        self.final_children: dict[str, list[str]] = defaultdict(list)
        for uid, parent in final_parent.items():
            self.final_children[parent].append(uid)

    def parking_for(self, uid: str) -> str:
        name, parent = self.names[uid], self.final_parent[uid]
        now, leaves_at = self.created[uid], self.created[parent]
        nearest = [a for a in self._final_ancestors(parent) if a in self.added]
        for candidate in (*nearest, *reversed(self.grounded)):
            if name not in self._names_until(candidate, now, leaves_at):
                return candidate
        raise CompactionError(f"location {uid} ({name!r}) cannot be parked: every grounded location has that name below it")

    def _final_ancestors(self, uid: str) -> Iterator[str]:
        while uid is not None:
            yield uid
            uid = self.final_parent.get(uid)

    def _names_until(self, parent: str, now: int, until: int) -> set[str]:
        """Names under `parent` now, or added to it up to `until` (when the parked one leaves)."""
        coming = (self.names[c] for c in self.final_children[parent] if now < self.created[c] <= until)
        return {self.names[c] for c in self.children_now[parent]}.union(coming)

    def add(self, uid: str, parent: str) -> None:
        self.added.add(uid)
        self.children_now[parent].append(uid)
        if parent == self.final_parent[uid] and parent in self.grounded:
            self.grounded[uid] = None

    def move(self, uid: str, old_parent: str, new_parent: str) -> None:
        self.children_now[old_parent].remove(uid)
        self.children_now[new_parent].append(uid)
        if new_parent in self.grounded:
            self._ground(uid)

    def _ground(self, uid: str) -> None:
        self.grounded[uid] = None
        for child in self.children_now[uid]:
            if self.final_parent[child] == uid:
                self._ground(child)


def _products(db) -> Iterator[ProductAdded]:
    for uid, sku in db.execute("SELECT uid, sku FROM products ORDER BY rowid"):
        yield ProductAdded(uid=uid, sku=sku)


def _stock(db) -> Iterator[InventoryUpdated]:
    for location, product, on_hand in db.execute(
        "SELECT location, product, on_hand FROM stock WHERE on_hand != 0 ORDER BY location, product"
    ):
        yield InventoryUpdated(location=location, product=product, OnHandChange=on_hand, OnHand=on_hand)


def _reservations(db) -> Iterator[Reserved]:
    held = defaultdict(list)
    for reservation, product, location, quantity in db.execute(
        "SELECT ri.reservation, ri.product, ri.location, ri.quantity FROM reservation_items ri"
        " JOIN products p ON p.uid = ri.product JOIN locations l ON l.uid = ri.location"
        " WHERE ri.quantity > 0 ORDER BY p.rowid, l.rowid"
    ):
        held[reservation].append(Reserved.Item(product=product, quantity=quantity, location=location))
    for uid, code in db.execute("SELECT uid, code FROM reservations ORDER BY rowid"):
        yield Reserved(reservation=uid, code=code, items=held[uid])


def _scripts(db) -> Iterator[ScriptInstalled | ScriptRemoved]:
    for hook, version, source in db.execute("SELECT hook, version, source FROM scripts ORDER BY hook"):
        yield ScriptInstalled(hook=hook, source=source or "", version=version)
        if source is None:
            yield ScriptRemoved(hook=hook, version=version)


def _reports(db) -> Iterator[ReportDefined]:
    for name, descendants in db.execute("SELECT name, descendants FROM reports ORDER BY rowid").fetchall():
        locations = [l for (l,) in db.execute("SELECT location FROM report_locations WHERE report = ? ORDER BY location", (name,))]
        yield ReportDefined(name=name, locations=locations, descendants=bool(descendants))
