"""Reports always say what location inventory says, on randomized histories.

Random requests (locations added and moved with their stock, stock in and
out, reservations placed, fulfilled and cancelled, reports defined along the
way) go through the real handlers; after each step every report is checked
against GetLocInventory for each location it should cover, where "should
cover" and "reserved" are worked out here, independently of the tables the
report reads.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from domain.contracts import bf_pb2, inventory_pb2 as inv, scripts_pb2
from workbench.core import ROOT, Code
from workbench.core.execute import execute
from workbench.core.ids import SequentialIds
from workbench.core.state_db import open_state


class History:
    def __init__(self, domain, seed: int):
        self.registry = domain.registry
        self.db = open_state(domain.schema_sql)
        self.ids = SequentialIds(1)
        self.random = random.Random(seed)
        self.parent: dict[str, str] = {ROOT: ""}
        self.skus: list[str] = []
        self.reservations: list[str] = []
        self.reports: dict[str, tuple[list[str], bool]] = {}
        self.accepted: Counter[str] = Counter()

    def send(self, request):
        outcome = execute(self.registry, self.db, request, self.ids)
        if outcome.code is Code.OK:
            self.accepted[type(request).__name__] += 1
        return outcome

    def step(self) -> None:
        pick = self.random.choice
        kind = self.random.choices(["location", "product", "stock", "reserve", "fulfill", "cancel", "move", "report"],
                                   weights=[3, 1, 6, 5, 3, 1, 2, 1])[0]
        locations = list(self.parent)
        if kind == "location" or len(locations) < 3:
            parent = pick(locations)
            outcome = self.send(inv.AddLocationsReq(parent=parent, locs=[inv.AddLocationsReq.Loc(name=f"l{len(locations)}")]))
            self.parent[outcome.response.locs[0].uid] = parent
        elif kind == "product" or not self.skus:
            sku = f"sku{len(self.skus)}"
            self.send(inv.AddProductsReq(skus=[sku]))
            self.skus.append(sku)
        elif kind == "stock":
            self.send(inv.UpdateInventoryReq(location=pick(locations[1:]), product=self.product(pick(self.skus)),
                                             OnHandChange=self.random.choice([-3, -1, 1, 2, 5, 8])))
        elif kind == "reserve":
            items = [inv.ReserveReq.Item(sku=pick(self.skus), quantity=self.random.randint(1, 3)) for _ in range(self.random.randint(1, 2))]
            outcome = self.send(inv.ReserveReq(reservation=f"r{self.random.random()}", items=items, location=pick(locations)))
            if outcome.code is Code.OK:
                self.reservations.append(outcome.response.reservation)
        elif kind in ("fulfill", "cancel") and self.reservations:
            reservation = pick(self.reservations)
            if kind == "cancel":
                self.send(bf_pb2.CancelReservationReq(reservation=reservation))
            else:
                self.fulfill_some(reservation)
        elif kind == "move":
            uid, new_parent = pick(locations[1:]), pick(locations)
            if self.send(inv.MoveLocationReq(uid=uid, newParent=new_parent)).code is Code.OK:
                self.parent[uid] = new_parent
        elif kind == "report":
            listed = self.random.sample(locations, k=min(len(locations), self.random.randint(1, 3)))
            descendants = self.random.random() < 0.6
            name = f"report{len(self.reports)}"
            assert self.send(scripts_pb2.DefineReportReq(name=name, locations=listed, descendants=descendants)).code is Code.OK
            self.reports[name] = (listed, descendants)

    def fulfill_some(self, reservation: str) -> None:
        held = self.db.execute("SELECT product, location, quantity FROM reservation_items WHERE reservation = ?",
                               (reservation,)).fetchall()
        if not held:
            return
        product, location, quantity = self.random.choice(held)
        stocked = [place for (place,) in self.db.execute(
            "SELECT location FROM stock WHERE product = ? AND on_hand > 0", (product,)) if self.within(place, location)]
        if stocked:
            self.send(inv.FulfillReq(reservation=reservation, items=[
                inv.FulfillReq.Item(product=product, location=self.random.choice(stocked), quantity=min(quantity, 2))]))

    def product(self, sku: str) -> str:
        return self.db.execute("SELECT uid FROM products WHERE sku = ?", (sku,)).fetchone()[0]

    def within(self, location: str, ancestor: str) -> bool:
        while location:
            if location == ancestor:
                return True
            location = self.parent[location]
        return False

    def covered(self, name: str) -> set[str]:
        listed, descendants = self.reports[name]
        if not descendants:
            return set(listed)
        return {uid for uid in self.parent if any(self.within(uid, top) for top in listed)}

    def reserved_below(self, location: str) -> dict[str, int]:
        totals: dict[str, int] = {}
        for product, place, quantity in self.db.execute("SELECT product, location, quantity FROM reservation_items"):
            if self.within(place, location):
                totals[product] = totals.get(product, 0) + quantity
        return totals

    def check_reports(self) -> int:
        checked = 0
        for name in self.reports:
            lines = self.send(scripts_pb2.GetReportReq(name=name)).response.lines
            reported = {(line.location, line.product): line for line in lines}
            assert {location for location, _ in reported} <= self.covered(name)
            for location in self.covered(name):
                inventory = self.send(inv.GetLocInventoryReq(location=location)).response.items
                expected = {(location, item.Product): (item.OnHand, item.Available) for item in inventory}
                got = {key: (line.on_hand, line.available) for key, line in reported.items() if key[0] == location}
                assert got == expected, (name, location)
                reserved = self.reserved_below(location)
                for (_, product), line in reported.items():
                    if _ == location:
                        assert line.reserved == reserved.get(product, 0), (name, location, product)
                checked += len(expected)
        return checked


@pytest.mark.parametrize("seed", range(6))
def test_reports_equal_location_inventory_on_random_histories(domain, seed):
    history = History(domain, seed)
    checked = 0
    for step in range(250):
        history.step()
        if step % 10 == 9:
            checked += history.check_reports()
    assert history.reports and checked > 500  # the history did exercise the reports
    for request in ("ReserveReq", "FulfillReq", "MoveLocationReq", "UpdateInventoryReq"):
        assert history.accepted[request] >= 3, (request, history.accepted)
