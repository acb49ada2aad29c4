"""Compaction keeps the state: the compacted events rebuild a state with the same
fingerprint, and that state answers further traffic exactly like the original."""

from __future__ import annotations

import copy

import pytest

from domain.compaction import CANON, compacted_events
from domain.contracts.bf_pb2 import CancelReservationReq
from domain.contracts.inventory_pb2 import (
    AddLocationsReq, AddProductsReq, ListLocationsReq, MoveLocationReq, ReserveReq, UpdateInventoryReq,
)
from domain.traffic import InventoryTraffic
from workbench.core.execute import execute
from workbench.core.ids import SequentialIds
from workbench.core.state_db import open_state
from workbench.tenancy.compactor import replay
from workbench.tenancy.fingerprint import state_fingerprint


def drive(domain, db, traffic, count, ids):
    """Send `count` requests; every outcome, and the events of the accepted ones."""
    outcomes, events = [], []
    for _ in range(count):
        request = traffic.request()
        outcome = execute(domain.registry, db, request, ids)
        traffic.observe(request, outcome.response)
        outcomes.append((outcome.response, outcome.code, outcome.message, outcome.events))
        events.extend(outcome.events)
    return outcomes, events


def history(domain, seed, count):
    db = open_state(domain.schema_sql)
    traffic = InventoryTraffic(seed)
    ids = SequentialIds(1)
    _, events = drive(domain, db, traffic, count, ids)
    return db, traffic, ids, events


@pytest.mark.parametrize("seed", range(12))
def test_compacted_log_rebuilds_the_same_state_on_random_histories(domain, seed):
    db, _, _, events = history(domain, seed, 400)
    compacted = compacted_events(db)
    assert state_fingerprint(replay(domain, compacted), CANON) == state_fingerprint(db, CANON)
    assert state_fingerprint(replay(domain, events), CANON) == state_fingerprint(db, CANON)
    assert len(compacted) < len(events)


def test_the_compacted_state_answers_later_traffic_exactly_like_the_original(domain):
    db, traffic, ids, _ = history(domain, 99, 1500)
    rebuilt = replay(domain, compacted_events(db))
    twin = copy.deepcopy(traffic)
    original, _ = drive(domain, db, traffic, 800, SequentialIds(ids.next_number))
    replayed, _ = drive(domain, rebuilt, twin, 800, SequentialIds(ids.next_number))
    assert original == replayed
    assert sum(1 for outcome in original if outcome[0] is not None) > 300  # mostly accepted traffic


def test_stress_sized_history_compacts_to_the_same_fingerprint(domain):
    db, _, _, events = history(domain, 7, 10_000)
    compacted = compacted_events(db)
    assert state_fingerprint(replay(domain, compacted), CANON) == state_fingerprint(db, CANON)
    assert len(compacted) * 4 < len(events) * 3


def test_a_location_made_before_its_parent_is_parked_then_moved_keeping_creation_order(domain):
    db = open_state(domain.schema_sql)
    ids = SequentialIds(1)
    run = lambda request: execute(domain.registry, db, request, ids)  # noqa: E731
    first, second = run(AddLocationsReq(locs=[AddLocationsReq.Loc(name="a"), AddLocationsReq.Loc(name="b")])).response.locs
    late_parent = run(AddLocationsReq(locs=[AddLocationsReq.Loc(name="c")])).response.locs[0]
    run(MoveLocationReq(uid=second.uid, newParent=late_parent.uid))
    run(MoveLocationReq(uid=first.uid, newParent=late_parent.uid))
    events = compacted_events(db)
    assert [type(e).__name__ for e in events] == ["LocationAdded"] * 3 + ["LocationMoved"] * 2
    rebuilt = replay(domain, events)
    listing = lambda state: execute(domain.registry, state, ListLocationsReq(), ids).response  # noqa: E731
    assert listing(rebuilt) == listing(db)


def a_shelf_of(domain, sku):
    """A state with one shelf and one product; `run(state, request)` executes a request on a state."""
    db = open_state(domain.schema_sql)
    ids = SequentialIds(1)
    run = lambda state, request: execute(domain.registry, state, request, ids)  # noqa: E731
    shelf = run(db, AddLocationsReq(locs=[AddLocationsReq.Loc(name="shelf")])).response.locs[0].uid
    return db, run, shelf, run(db, AddProductsReq(skus=[sku])).response.uids[0]


def test_closed_reservations_keep_their_codes_taken(domain):
    db, run, shelf, product = a_shelf_of(domain, "apple")
    run(db, UpdateInventoryReq(location=shelf, product=product, OnHandChange=5))
    reservation = run(db, ReserveReq(reservation="order-1", items=[ReserveReq.Item(sku="apple", quantity=2)])).response
    run(db, CancelReservationReq(reservation=reservation.reservation))
    rebuilt = replay(domain, compacted_events(db))
    again = ReserveReq(reservation="order-1", items=[ReserveReq.Item(sku="apple", quantity=1)])
    assert run(rebuilt, again).code == run(db, again).code != 0


def test_scripts_and_reports_come_back_with_their_versions(domain):
    from domain.contracts.scripts_pb2 import DefineReportReq, InstallScriptReq, RemoveReportReq, RemoveScriptReq
    from domain.scripting.hooks import HOOKS

    db = open_state(domain.schema_sql)
    ids = SequentialIds(1)
    run = lambda state, request: execute(domain.registry, state, request, ids)  # noqa: E731
    shelf = run(db, AddLocationsReq(locs=[AddLocationsReq.Loc(name="shelf")])).response.locs[0].uid
    for request in (InstallScriptReq(hook=HOOKS[0], source="return nil"), InstallScriptReq(hook=HOOKS[0], source="return nil -- 2"),
                    InstallScriptReq(hook=HOOKS[1], source="return nil"), RemoveScriptReq(hook=HOOKS[1]),
                    DefineReportReq(name="gone", locations=[shelf]), DefineReportReq(name="all", locations=["", shelf], descendants=True),
                    RemoveReportReq(name="gone")):
        assert run(db, request).code == 0, request
    rebuilt = replay(domain, compacted_events(db))
    assert state_fingerprint(rebuilt, CANON) == state_fingerprint(db, CANON)
    again = InstallScriptReq(hook=HOOKS[1], source="return nil")
    assert run(rebuilt, again).response.version == run(db, again).response.version == 2


def test_compaction_knows_every_table_of_the_schema(domain):
    from domain.compaction import TABLES_REBUILT

    db = open_state(domain.schema_sql)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == TABLES_REBUILT, "a new state table: teach domain/compaction.py to rebuild it"


def test_a_scripts_overruns_and_its_disabling_come_back(domain):
    from domain.contracts.scripts_pb2 import InstallScriptReq

    db, run, shelf, mug = a_shelf_of(domain, "mug")
    reserve = ReserveReq(reservation="r", location=shelf, items=[ReserveReq.Item(sku="mug", quantity=1)])
    run(db, InstallScriptReq(hook="update_inventory", source="while true do end"))
    run(db, InstallScriptReq(hook="reserve", source="while true do end"))
    assert run(db, reserve).events[0].overruns == 1  # reserve: one overrun of two allowed
    update = UpdateInventoryReq(location=shelf, product=mug, OnHandChange=1)
    assert [type(run(db, update).events[0]).__name__ for _ in range(3)] == \
        ["ScriptOverran", "ScriptOverran", "ScriptDisabled"]  # update_inventory: the third overrun disables it
    rebuilt = replay(domain, compacted_events(db))
    assert state_fingerprint(rebuilt, CANON) == state_fingerprint(db, CANON)
    assert [event.overruns for event in run(rebuilt, reserve).events] == [2]
    assert run(rebuilt, update).code == 0  # disabled: no script runs
