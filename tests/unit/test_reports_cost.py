"""A report's cost follows what it covers, not the size of the tree.

Counted in SQLite virtual-machine steps (a progress handler), which unlike
wall time does not depend on what else the machine is doing.
"""

from __future__ import annotations

from domain.contracts import inventory_pb2 as inv, scripts_pb2
from workbench.core import ROOT
from workbench.core.execute import execute
from workbench.core.ids import SequentialIds
from workbench.core.state_db import open_state
from workbench.core.transaction import apply_event

SHELVES_PER_WAREHOUSE = 20


def warehouses(domain, count: int):
    """`count` warehouses of 20 stocked shelves; a report on the first and everything in it."""
    db = open_state(domain.schema_sql)
    appliers, ids = domain.registry.appliers, SequentialIds(1)
    db.execute("BEGIN")
    product = ids()
    apply_event(appliers, db, inv.ProductAdded(uid=product, sku="mug"))
    first = None
    for w in range(count):
        warehouse = ids()
        first = first or warehouse
        apply_event(appliers, db, inv.LocationAdded(uid=warehouse, name=f"w{w}", parent=ROOT))
        for s in range(SHELVES_PER_WAREHOUSE):
            shelf = ids()
            apply_event(appliers, db, inv.LocationAdded(uid=shelf, name=f"s{s}", parent=warehouse))
            apply_event(appliers, db, inv.InventoryUpdated(location=shelf, product=product, OnHandChange=3, OnHand=3))
    apply_event(appliers, db, scripts_pb2.ReportDefined(name="first", locations=[first], descendants=True))
    db.execute("COMMIT")
    return db


def steps_of_report(domain, db) -> int:
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0
    db.set_progress_handler(count, 100)
    outcome = execute(domain.registry, db, scripts_pb2.GetReportReq(name="first"), SequentialIds(1))
    db.set_progress_handler(None, 0)
    assert len(outcome.response.lines) == SHELVES_PER_WAREHOUSE + 1
    return steps


def test_a_report_costs_the_same_in_a_tree_twenty_times_larger(domain):
    small = steps_of_report(domain, warehouses(domain, 10))
    large = steps_of_report(domain, warehouses(domain, 200))
    assert small > 0
    assert large <= small * 1.2, (small, large)
