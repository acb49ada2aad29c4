"""The growing business `bf stress` drives: each round opens a warehouse and a
product range, stocks it, takes reservations and ships most of them.

A round, in phases (the requests of one phase never depend on each other, so
a client may send them concurrently and still get the same outcomes):
  1. a warehouse: 511 locations, a full binary tree nine levels deep;
  2. 1,000 new products;
  3. stock for each new product on one shelf (a leaf) of the new warehouse;
  4. reservation attempts, 100 in round 1 and 5 more every round, each on
     products no other attempt of the round names, at a place that contains
     their shelves; some are refused for lack of stock;
  5. fulfilment of about 80% of the round's accepted reservations, from the shelves.

Everything random comes from one seeded generator and depends only on which
requests were accepted, so a seed gives the same run every time.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any, Iterator

from domain.contracts.inventory_pb2 import (
    AddLocationsReq,
    AddProductsReq,
    FulfillReq,
    GetLocInventoryReq,
    ReserveReq,
    UpdateInventoryReq,
)
from workbench.core import ROOT

LEVELS = ("warehouse", "hall", "zone", "aisle", "rack", "bay", "shelf", "level", "bin")  # 2**9 - 1 = 511 places
PRODUCTS_PER_ROUND = 1000
FIRST_ROUND_ATTEMPTS = 100
MORE_ATTEMPTS_PER_ROUND = 5
FULFIL_SHARE = 0.8


@dataclass
class Stocked:
    uid: str
    sku: str
    shelf: str
    places: list[str]  # every location that contains the shelf, the shelf first and the root last


class Workload:
    def __init__(self, seed: int = 1):
        self.rng = random.Random(seed)
        self.locations = 0
        self.products: list[Stocked] = []
        self._new_products: list[tuple[str, str]] = []  # (uid, sku) added this round, not yet stocked
        self._shelves: list[list[str]] = []  # this round's leaves, each with its places
        self._attempts: dict[str, list[tuple[Stocked, int]]] = {}  # this round's reservation codes -> items
        self._reserved: list[tuple[str, list[tuple[Stocked, int]]]] = []  # this round's accepted reservations

    def phases(self, round_number: int) -> Iterator[list[Any]]:
        """The round's requests, phase by phase; call `observe` for each before asking for the next phase."""
        yield [AddLocationsReq(parent=ROOT, locs=[self._place(0, f"{LEVELS[0]}-{round_number}")])]
        yield [AddProductsReq(skus=[f"R{round_number:03d}-{i:04d}" for i in range(PRODUCTS_PER_ROUND)])]
        yield self._stock_requests()
        yield self._reservation_attempts(round_number)
        yield self._fulfilments()

    def observe(self, request: Any, response: Any | None) -> None:
        """Remember what an accepted request gave back (`response` is None when it was refused)."""
        if response is None:
            return
        if isinstance(request, AddLocationsReq):
            self._shelves = []
            self._remember_places(response.locs, [ROOT])
        elif isinstance(request, AddProductsReq):
            self._new_products = list(zip(response.uids, request.skus))
        elif isinstance(request, ReserveReq):
            items = self._attempts[request.reservation]
            self._reserved.append((response.reservation, items))

    def figures_request(self) -> GetLocInventoryReq:
        return GetLocInventoryReq(location=ROOT)

    def figures(self, inventory: Any) -> dict[str, int]:
        """The row's business figures; `inventory` answers `figures_request`."""
        return {
            "locations": self.locations,
            "products": len(self.products),
            "on hand": sum(item.OnHand for item in inventory.items),
            "reserved": sum(item.OnHand - item.Available for item in inventory.items),
        }

    def _place(self, level: int, name: str) -> AddLocationsReq.Loc:
        children = [] if level + 1 == len(LEVELS) else [
            self._place(level + 1, f"{LEVELS[level + 1]}-{side}") for side in ("a", "b")]
        return AddLocationsReq.Loc(name=name, locs=children)

    def _remember_places(self, locs, above: list[str]) -> None:
        for loc in locs:
            self.locations += 1
            places = [loc.uid, *above]
            if loc.locs:
                self._remember_places(loc.locs, places)
            else:
                self._shelves.append(places)

    def _stock_requests(self) -> list[UpdateInventoryReq]:
        if not self._shelves:  # the first round's locations were refused (a cluster under chaos): stock next round
            return []
        requests = []
        for uid, sku in self._new_products:
            places = self.rng.choice(self._shelves)
            self.products.append(Stocked(uid, sku, places[0], places))
            requests.append(UpdateInventoryReq(location=places[0], product=uid, OnHandChange=self.rng.randint(1, 20)))
        self._new_products = []
        return requests

    def _reservation_attempts(self, round_number: int) -> list[ReserveReq]:
        attempts = FIRST_ROUND_ATTEMPTS + MORE_ATTEMPTS_PER_ROUND * (round_number - 1)
        chosen = iter(self.rng.sample(self.products, min(2 * attempts, len(self.products))))
        self._attempts = {}
        self._reserved = []
        requests = []
        for number in range(attempts):
            products = list(itertools.islice(chosen, self.rng.choice((1, 1, 2))))
            items = [(product, self.rng.randint(1, 12)) for product in products]
            if not items:
                break
            # The place must contain every item's shelf: one product may be reserved anywhere above it.
            location = self.rng.choice(items[0][0].places) if len(items) == 1 else ROOT
            code = f"R{round_number:03d}-{number:04d}"
            self._attempts[code] = items
            requests.append(ReserveReq(reservation=code, location=location, items=[
                ReserveReq.Item(sku=product.sku, quantity=quantity) for product, quantity in items]))
        return requests

    def _fulfilments(self) -> list[FulfillReq]:
        return [
            FulfillReq(reservation=uid, items=[
                FulfillReq.Item(product=product.uid, location=product.shelf, quantity=quantity)
                for product, quantity in items])
            for uid, items in self._reserved
            if self.rng.random() < FULFIL_SHARE
        ]

