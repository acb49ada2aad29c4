"""What a tenant script adds to a request, side by side with the plain request.

    python benchmarks/scripts_cost.py [--runs N]

Each row runs the same request N times (best of 3 rounds) through the real dispatch (execute)
on an in-memory tenant, each in a transaction rolled back so the state stays
the same. Rows:
  plain                 no script installed on the hook (one indexed lookup)
  return nil            a script that only says "go on"
  region pick           the reserve script of specs/scripts/reserve_hook.spec
                        (one inventory.find_location call, picks the warehouse)
  safety stock          a loop over the items with inventory.available
  fresh VM per call     region pick, but a new Lua runtime for every call:
                        what reusing the tenant's runtime saves
  shelf maximum         the update_inventory script of update_hook.spec
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.contracts import inventory_pb2 as inv, scripts_pb2  # noqa: E402
from domain.scripting import hooks  # noqa: E402
from domain.scripting.runtime import ScriptRuntime  # noqa: E402
from domain.scripting.tenants import runtime_for  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.core import ROOT as ROOT_LOCATION  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402
from workbench.core.execute import execute  # noqa: E402
from workbench.core.ids import SequentialIds, spec_uid  # noqa: E402
from workbench.core.state_db import open_state  # noqa: E402
from workbench.core.transaction import apply_event  # noqa: E402

EU, US, MUG = spec_uid(1), spec_uid(2), spec_uid(3)
REGION_PICK = """local region = request.tags.region
if region == nil then return {reject = "a region tag is required"} end
local warehouse = inventory.find_location(region)
if warehouse == nil then return {reject = "no warehouse for region " .. region} end
return {location = warehouse.uid}"""
SAFETY_STOCK = """for _, item in ipairs(request.items) do
  local left = inventory.available(request.location, item.product) - item.quantity
  if left < 2 then return {reject = "keep 2 " .. item.sku .. " in stock"} end
end"""
SHELF_MAXIMUM = """local place = inventory.location(request.location)
if place.name:find("Shelf") == 1 and request.on_hand > 100 then
  return {reject = place.name .. " holds at most 100"}
end"""

RESERVE = inv.ReserveReq(reservation="ord-1", items=[inv.ReserveReq.Item(sku="MUG", quantity=1)],
                         tags={"region": "US"}, location=US)
ROUNDS = 3
UPDATE = inv.UpdateInventoryReq(location=EU, product=MUG, OnHandChange=1)


class Bench:
    def __init__(self, domain: Domain):
        self.registry = domain.registry
        self.db = open_state(domain.schema_sql)
        self.db.execute("BEGIN")
        for event in [inv.LocationAdded(uid=EU, name="EU", parent=ROOT_LOCATION),
                      inv.LocationAdded(uid=US, name="US", parent=ROOT_LOCATION),
                      inv.ProductAdded(uid=MUG, sku="MUG"),
                      inv.InventoryUpdated(location=EU, product=MUG, OnHandChange=50, OnHand=50),
                      inv.InventoryUpdated(location=US, product=MUG, OnHandChange=50, OnHand=50)]:
            apply_event(self.registry.appliers, self.db, event)
        self.db.execute("COMMIT")

    def install(self, hook: str, source: str | None) -> None:
        self.db.execute("DELETE FROM scripts")
        if source is not None:
            apply_event(self.registry.appliers, self.db, scripts_pb2.ScriptInstalled(hook=hook, source=source, version=1))

    def microseconds_per_request(self, request, runs: int) -> float:
        for _ in range(max(1, runs // 10)):  # warm up: compile, caches
            self._once(request)
        best = float("inf")
        for _ in range(ROUNDS):  # the best round: other processes share these cores
            started = time.perf_counter()
            for _ in range(runs):
                self._once(request)
            best = min(best, (time.perf_counter() - started) / runs * 1e6)
        return best

    def _once(self, request) -> None:
        self.db.execute("BEGIN")
        outcome = execute(self.registry, self.db, request, SequentialIds(10))
        self.db.execute("ROLLBACK")
        assert outcome.code == 0, outcome.message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3000)
    runs = parser.parse_args().runs
    bench = Bench(Domain.load(find_project(ROOT)))
    rows = []
    for name, hook, source, request in [
        ("plain reserve", "reserve", None, RESERVE),
        ("return nil", "reserve", "return nil", RESERVE),
        ("region pick", "reserve", REGION_PICK, RESERVE),
        ("safety stock", "reserve", SAFETY_STOCK, RESERVE),
    ]:
        bench.install(hook, source)
        rows.append((name, bench.microseconds_per_request(request, runs)))
    bench.install("reserve", REGION_PICK)
    hooks.runtime_for = lambda db: ScriptRuntime()  # what the seed did: a VM per call
    rows.append(("fresh VM per call", bench.microseconds_per_request(RESERVE, max(100, runs // 10))))
    hooks.runtime_for = runtime_for
    for name, source in [("plain update", None), ("shelf maximum", SHELF_MAXIMUM)]:
        bench.install("update_inventory", source)
        rows.append((name, bench.microseconds_per_request(UPDATE, runs)))

    baselines = {"reserve": rows[0][1], "update": rows[-2][1]}
    print(f"{'request':<22}{'µs/request':>12}{'script adds µs':>16}{'× plain':>9}")
    for name, micros in rows:
        baseline = baselines["update"] if name in ("plain update", "shelf maximum") else baselines["reserve"]
        print(f"{name:<22}{micros:>12.1f}{micros - baseline:>16.1f}{micros / baseline:>9.2f}")


if __name__ == "__main__":
    main()
