"""Compaction: the shortest event sequence that rebuilds a tenant's current state.

Read from the state tables, not from the old log:
- every location once, in creation order (listings show that order, also
  between locations a later move makes siblings), in its current place; one
  created before its current parent is parked, then moved there;
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
from domain.contracts.scripts_pb2 import ReportDefined, ScriptInstalled, ScriptOverran, ScriptRemoved
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
    "scripts", "script_overruns", "reports", "report_locations",
}


def compacted_events(db) -> list:
    return [*_locations(db), *_products(db), *_stock(db), *_reservations(db), *_scripts(db), *_reports(db)]


def _locations(db) -> Iterator[LocationAdded | LocationMoved]:
    """Every location in creation order, so that listings after any later move
    still show creation order. A location made before its current parent is
    parked under a location where its name is free, and moved in once the
    parent is added (one extra event; one more if its place is needed by a
    location of the same name before that)."""
    rows = db.execute("SELECT uid, name, parent FROM locations WHERE uid != ? ORDER BY rowid", (ROOT,)).fetchall()
    tree = _Tree({uid: parent for uid, _, parent in rows}, {uid: name for uid, name, _ in rows})
    waiting = defaultdict(list)  # parent not added yet -> its children parked meanwhile
    for uid, name, parent in rows:
        place = parent if parent in tree.added else tree.parking_for(uid)
        yield from tree.make_room(place, name)
        yield LocationAdded(uid=uid, name=name, parent=place)
        tree.add(uid, place)
        if place != parent:
            waiting[parent].append(uid)
        for child in waiting.pop(uid, []):
            yield tree.move(child, uid)


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
        self.added = {ROOT: None}  # dicts: in the order they are added
        self.grounded = {ROOT: None}
        self.place: dict[str, str] = {}
        self.children_now: dict[str, list[str]] = defaultdict(list)
        self.final_children: dict[str, list[str]] = defaultdict(list)
        for uid, parent in final_parent.items():
            self.final_children[parent].append(uid)

    def parking_for(self, uid: str, avoid: frozenset[str] = frozenset()) -> str:
        """Where to park `uid`: a place where its name is free, or held by a
        parked location that can be parked elsewhere in turn (make_room)."""
        name = self.names[uid]
        nearest = [a for a in self._final_ancestors(self.final_parent[uid]) if a in self.added]
        # Rare last resort (a name under every such location): any location not
        # to end up below this one. Not proven acyclic, so the caller's replay
        # and fingerprint check decides; on a difference the log is kept.
        below = self._final_subtree(uid)
        anywhere = [c for c in reversed(self.added) if c not in below]
        for candidates in ((*nearest, *reversed(self.grounded)), anywhere):
            for movable in (False, True):
                for candidate in candidates:
                    if candidate not in avoid and self._room_for(candidate, name, movable):
                        return candidate
        raise CompactionError(f"location {uid} ({name!r}) cannot be parked: every location has that name below it")

    def make_room(self, parent: str, name: str, avoid: frozenset[str] = frozenset()) -> Iterator[LocationMoved]:
        """Park elsewhere the location parked under `parent` with this name, if any."""
        for child in self.children_now[parent]:
            if self.names[child] == name:
                avoid = avoid | {parent}
                target = self.parking_for(child, avoid)
                yield from self.make_room(target, name, avoid)
                yield self.move(child, target)
                return

    def _room_for(self, parent: str, name: str, movable: bool) -> bool:
        same = [child for child in self.children_now[parent] if self.names[child] == name]
        return not same or (movable and self.place[same[0]] != self.final_parent[same[0]])

    def add(self, uid: str, parent: str) -> None:
        self.added[uid] = None
        self.place[uid] = parent
        self.children_now[parent].append(uid)
        if parent == self.final_parent[uid] and parent in self.grounded:
            self.grounded[uid] = None

    def move(self, uid: str, new_parent: str) -> LocationMoved:
        old_parent = self.place[uid]
        self.children_now[old_parent].remove(uid)
        self.children_now[new_parent].append(uid)
        self.place[uid] = new_parent
        if new_parent == self.final_parent[uid] and new_parent in self.grounded:
            self._ground(uid)
        return LocationMoved(uid=uid, oldParent=old_parent, newParent=new_parent)

    def _final_ancestors(self, uid: str) -> Iterator[str]:
        while uid is not None:
            yield uid
            uid = self.final_parent.get(uid)

    def _final_subtree(self, uid: str) -> set[str]:
        found, waiting = {uid}, [uid]
        while waiting:
            for child in self.final_children[waiting.pop()]:
                found.add(child)
                waiting.append(child)
        return found

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


def _scripts(db) -> Iterator[ScriptInstalled | ScriptRemoved | ScriptOverran]:
    has_overruns = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'script_overruns'").fetchone() is not None
    for hook, version, source in db.execute("SELECT hook, version, source FROM scripts ORDER BY hook").fetchall():
        yield ScriptInstalled(hook=hook, source=source or "", version=version)
        if source is None:
            yield ScriptRemoved(hook=hook, version=version)
        elif has_overruns:
            for (overruns,) in db.execute("SELECT overruns FROM script_overruns WHERE hook = ? AND version = ?",
                                          (hook, version)):
                yield ScriptOverran(hook=hook, version=version, overruns=overruns)


def _reports(db) -> Iterator[ReportDefined]:
    for name, descendants in db.execute("SELECT name, descendants FROM reports ORDER BY rowid").fetchall():
        locations = [l for (l,) in db.execute("SELECT location FROM report_locations WHERE report = ? ORDER BY location", (name,))]
        yield ReportDefined(name=name, locations=locations, descendants=bool(descendants))
