"""Random inventory traffic that mostly makes sense: it remembers the ids the
service gave back, so most requests name real locations, products and
reservations, and some are refused. Compaction proofs and the tenant
benchmarks drive tenants with it.
"""

from __future__ import annotations

import random
from collections import defaultdict

from domain.contracts.bf_pb2 import CancelReservationReq
from domain.contracts.inventory_pb2 import (
    AddLocationsReq,
    AddProductsReq,
    FulfillReq,
    GetLocInventoryReq,
    ListLocationsReq,
    MoveLocationReq,
    ReserveReq,
    UpdateInventoryReq,
)
from workbench.core import ROOT


class InventoryTraffic:
    def __init__(self, seed: int = 0, places: int = 80, products: int = 40,
                 names: tuple[str, ...] = ("shelf", "bin", "aisle", "rack", "dock")):
        self.rng = random.Random(seed)
        self.names = names
        self.max_places = places  # the catalogue and the tree stop growing near these sizes
        self.max_products = products
        self.locations: list[str] = [ROOT]
        self.products: list[tuple[str, str]] = []  # (uid, sku)
        self.reservations: list[tuple[str, str, list[str]]] = []  # (uid, location, product uids)
        self.stocked: dict[str, list[str]] = defaultdict(list)  # product -> locations given stock
        self._count = 0

    def request(self):
        """The next request: its kind weighted like a busy warehouse."""
        self._count += 1
        rng = self.rng
        if len(self.locations) < 3 or (len(self.locations) < self.max_places and rng.random() < 0.08):
            return self._add_locations()
        if not self.products or (len(self.products) < self.max_products and rng.random() < 0.06):
            return AddProductsReq(skus=[f"SKU-{self._count}-{rng.randrange(1000)}"])
        roll = rng.random()
        if roll < 0.35:
            return self._update_inventory()
        if roll < 0.55:
            return self._reserve()
        if roll < 0.68 and self.reservations:
            return self._fulfill()
        if roll < 0.76 and self.reservations:
            return CancelReservationReq(reservation=rng.choice(self.reservations)[0])
        if roll < 0.84 and len(self.locations) > 1:
            return MoveLocationReq(uid=rng.choice(self.locations[1:]), newParent=rng.choice(self.locations))
        if roll < 0.92:
            return GetLocInventoryReq(location=rng.choice(self.locations))
        return ListLocationsReq(location=rng.choice(self.locations))

    def observe(self, request, response) -> None:
        """Remember the ids an accepted request got back."""
        if response is None:
            return
        if isinstance(request, AddLocationsReq):
            self._remember_locations(response.locs)
        elif isinstance(request, AddProductsReq):
            self.products.extend(zip(response.uids, request.skus))
        elif isinstance(request, ReserveReq):
            skus = {sku: uid for uid, sku in self.products}
            products = [skus[item.sku] for item in request.items]
            self.reservations.append((response.reservation, request.location or ROOT, products))
        elif isinstance(request, UpdateInventoryReq) and request.OnHandChange > 0:
            self.stocked[request.product].append(request.location)

    def _add_locations(self) -> AddLocationsReq:
        rng = self.rng
        name = f"{rng.choice(self.names)}-{rng.randrange(40)}"
        children = [AddLocationsReq.Loc(name=f"{rng.choice(self.names)}-{i}") for i in range(rng.randrange(3))]
        return AddLocationsReq(parent=rng.choice(self.locations), locs=[AddLocationsReq.Loc(name=name, locs=children)])

    def _update_inventory(self) -> UpdateInventoryReq:
        rng = self.rng
        change = rng.randint(1, 30) if rng.random() < 0.75 else -rng.randint(1, 10)
        location = rng.choice(self.locations[1:])
        return UpdateInventoryReq(location=location, product=rng.choice(self.products)[0], OnHandChange=change)

    def _reserve(self) -> ReserveReq:
        rng = self.rng
        items = [ReserveReq.Item(sku=rng.choice(self.products)[1], quantity=rng.randint(1, 5)) for _ in range(rng.randint(1, 2))]
        location = rng.choice(self.locations) if rng.random() < 0.7 else ""
        return ReserveReq(reservation=f"R-{self._count}", items=items, location=location)

    def _fulfill(self) -> FulfillReq:
        rng = self.rng
        reservation, location, products = rng.choice(self.reservations)
        product = rng.choice(products)
        places = self.stocked.get(product) or [location]
        item = FulfillReq.Item(product=product, location=rng.choice(places), quantity=rng.randint(1, 3))
        return FulfillReq(reservation=reservation, items=[item])

    def _remember_locations(self, locs) -> None:
        for loc in locs:
            self.locations.append(loc.uid)
            self._remember_locations(loc.locs)
