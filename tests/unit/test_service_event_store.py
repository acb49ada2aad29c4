"""The durable event store: the log, a tenant's state as its projection, the tenants of a folder."""

import asyncio
import threading
import time

import pytest

from domain.contracts.bf_pb2 import CancelReservationReq
from domain.contracts.inventory_pb2 import (AddLocationsReq, AddProductsReq, ProductAdded, ReserveReq,
                                            UpdateInventoryReq)
from tests.state_files import state_rows
from workbench.core.codes import Code
from workbench.service.event_log import EventLog
from workbench.service.tenant import STATE_COMMIT_SECONDS, Tenant
from workbench.service.tenants import DEFAULT_TENANT, BadTenantName, Tenants, UnknownTenant



def stock_a_shelf(tenant):
    shelf = tenant.execute(AddLocationsReq(locs=[AddLocationsReq.Loc(name="shelf")])).response.locs[0].uid
    product = tenant.execute(AddProductsReq(skus=["cola"])).response.uids[0]
    tenant.execute(UpdateInventoryReq(location=shelf, product=product, OnHandChange=7))
    reservation = tenant.execute(ReserveReq(reservation="r1", items=[ReserveReq.Item(sku="cola", quantity=2)]))
    return shelf, product, reservation.response.reservation


def test_the_log_gives_positions_and_one_version_per_append_and_survives_reopening(tmp_path):
    log = EventLog(tmp_path / "log.db")
    first = log.append([("t.A", b"1"), ("t.B", b"2")])
    second = log.append([("t.C", b"3")])
    assert [(e.position, e.version) for e in first + second] == [(1, 1), (2, 1), (3, 2)]
    log.close()
    reopened = EventLog(tmp_path / "log.db")
    assert (reopened.last_position, reopened.version) == (3, 2)
    assert [e.data for e in reopened.read(after=1)] == [b"2", b"3"]
    assert [e.position for e in reopened.read(after=0, limit=2)] == [1, 2]
    assert reopened.append([]) == []
    assert reopened.version == 2


def test_wait_beyond_wakes_when_another_thread_appends(tmp_path):
    log = EventLog(tmp_path / "log.db")
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(log.wait_beyond(0, timeout=10)))
    waiter.start()
    log.append([("t.A", b"x")])
    waiter.join(10)
    assert woke == [True]
    assert log.wait_beyond(1, timeout=0.01) is False


def test_a_tenant_logs_accepted_requests_only(domain, tmp_path):
    tenant = Tenant("t", domain, tmp_path)
    stock_a_shelf(tenant)
    assert tenant.execute(AddProductsReq(skus=["cola"])).code == Code.ALREADY_EXISTS
    assert tenant.execute(CancelReservationReq(reservation="nope")).code == Code.NOT_FOUND
    events = tenant.events()
    assert [type(e).__name__ for e in events] == ["LocationAdded", "ProductAdded", "InventoryUpdated", "Reserved"]
    assert (tenant.position, tenant.version) == (4, 4)
    assert tenant.log.last_position == 4


def test_a_broken_handler_leaves_neither_log_nor_state_changed(domain, tmp_path, monkeypatch):
    tenant = Tenant("t", domain, tmp_path)
    tenant.execute(AddProductsReq(skus=["a"]))
    with tenant.paused():
        before = state_rows(tenant.state_path)

    def explode(tx, request):
        tx.apply(ProductAdded(uid="x", sku="b"))
        raise RuntimeError("boom")
    monkeypatch.setitem(tenant.registry.handlers, AddProductsReq, explode)
    with pytest.raises(RuntimeError):
        tenant.execute(AddProductsReq(skus=["b"]))
    assert tenant.log.last_position == 1
    with tenant.paused():
        assert state_rows(tenant.state_path) == before
        assert [sku for _, sku in before["products"]] == ["a"]


def test_deleting_the_state_rebuilds_identical_state_from_the_log(domain, tmp_path):
    tenant = Tenant("t", domain, tmp_path)
    stock_a_shelf(tenant)
    tenant.close()
    live = state_rows(tmp_path / "state.db")
    (tmp_path / "state.db").unlink()
    rebuilt = Tenant("t", domain, tmp_path)
    rebuilt.close()
    assert state_rows(tmp_path / "state.db") == live
    assert live["bf_projection"] == [(1, 4, 4)]
    assert live["products"] != []


def test_a_state_behind_its_log_catches_up_when_opened(domain, tmp_path):
    tenant = Tenant("t", domain, tmp_path)
    tenant.execute(AddProductsReq(skus=["a"]))
    tenant.close()
    # As if killed after the log commit and before the state commit:
    log = EventLog(tmp_path / "log.db")
    log.append([("protos.ProductAdded", ProductAdded(uid="u2", sku="b").SerializeToString())])
    log.close()
    reopened = Tenant("t", domain, tmp_path)
    assert reopened.position == 2
    assert reopened.execute(AddProductsReq(skus=["b"])).code == Code.ALREADY_EXISTS


def test_a_state_ahead_of_its_log_is_rebuilt_from_the_log(domain, tmp_path):
    (tmp_path / "old").mkdir()
    tenant = Tenant("t", domain, tmp_path / "old")
    tenant.execute(AddProductsReq(skus=["a"]))
    tenant.execute(AddProductsReq(skus=["b"]))
    tenant.close()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "state.db").rename(tmp_path / "new" / "state.db")
    fresh_log = EventLog(tmp_path / "new" / "log.db")
    fresh_log.append([("protos.ProductAdded", ProductAdded(uid="u9", sku="z").SerializeToString())])
    fresh_log.close()
    reopened = Tenant("t", domain, tmp_path / "new")
    reopened.close()
    assert state_rows(tmp_path / "new" / "state.db")["products"] == [("u9", "z")]


def test_tenants_are_created_listed_and_checked_by_name(domain, tmp_path):
    tenants = Tenants(domain, tmp_path)
    assert tenants.names() == [DEFAULT_TENANT]
    assert tenants.create("shop-1") is True
    assert tenants.create("shop-1") is False
    assert tenants.names() == [DEFAULT_TENANT, "shop-1"]
    with pytest.raises(UnknownTenant):
        tenants.get("nobody")
    for bad in ["", "../x", "A", "-x", "x" * 64, "a/b"]:
        with pytest.raises(BadTenantName):
            tenants.get(bad)
    tenants.get("shop-1").execute(AddProductsReq(skus=["a"]))
    assert tenants.get(DEFAULT_TENANT).execute(AddProductsReq(skus=["a"])).code == Code.OK  # isolated
    tenants.close()
    again = Tenants(domain, tmp_path)
    assert again.get("shop-1").execute(AddProductsReq(skus=["a"])).code == Code.ALREADY_EXISTS
    again.close()


def _queue_up(tenant, requests):
    """Start a thread per request while the tenant is busy (its lock held), and wait until all are queued."""
    results = {}

    def call(index, request):
        try:
            results[index] = tenant.execute(request)
        except Exception as error:
            results[index] = error
    threads = [threading.Thread(target=call, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(tenant._queue) < len(requests) and time.monotonic() < deadline:
        time.sleep(0.001)
    return threads, results


def test_requests_that_wait_for_a_busy_tenant_are_committed_together_in_order(domain, tmp_path, monkeypatch):
    tenant = Tenant("t", domain, tmp_path)
    tenant.execute(AddProductsReq(skus=["dup"]))
    commits = []
    append_requests = tenant.log.append_requests
    monkeypatch.setattr(tenant.log, "append_requests", lambda requests: commits.append(len(requests)) or
                        append_requests(requests))
    requests = [AddProductsReq(skus=[f"p{i}"]) for i in range(6)] + [AddProductsReq(skus=["dup"])]
    with tenant.lock:
        threads, results = _queue_up(tenant, requests)
        arrival = [ticket.request.skus[0] for ticket in tenant._queue]
    for thread in threads:
        thread.join(10)
    assert commits == [6]  # one fsync for the six accepted; the duplicate was rejected
    assert results[6].code == Code.ALREADY_EXISTS
    assert [e.sku for e in tenant.events(after=1)] == [sku for sku in arrival if sku != "dup"]
    assert [e.version for e in tenant.log.read(after=1)] == [2, 3, 4, 5, 6, 7]  # one version per request
    assert {results[i].response.uids[0] for i in range(6)} == {e.uid for e in tenant.events(after=1)}


def test_a_broken_request_in_a_group_fails_alone(domain, tmp_path, monkeypatch):
    tenant = Tenant("t", domain, tmp_path)
    add_products = tenant.registry.handlers[AddProductsReq]

    def broken_for_x(tx, request):
        response = add_products(tx, request)
        if request.skus[0] == "x":
            raise RuntimeError("broken after applying")
        return response
    monkeypatch.setitem(tenant.registry.handlers, AddProductsReq, broken_for_x)
    with tenant.lock:
        threads, results = _queue_up(tenant, [AddProductsReq(skus=[s]) for s in ("a", "x", "b")])
    for thread in threads:
        thread.join(10)
    assert isinstance(results[1], RuntimeError)
    assert sorted(e.sku for e in tenant.events()) == ["a", "b"]
    tenant.close()
    assert state_rows(tmp_path / "state.db")["products"] == sorted((e.uid, e.sku) for e in Tenant("t", domain, tmp_path).events())


def test_the_state_file_commits_soon_after_the_log_and_at_once_when_paused(domain, tmp_path):
    tenant = Tenant("t", domain, tmp_path)
    tenant.execute(AddProductsReq(skus=["a"]))
    with tenant.paused():  # someone reading state.db aside sees every acknowledged request
        assert [sku for _, sku in state_rows(tenant.state_path)["products"]] == ["a"]
    tenant.execute(AddProductsReq(skus=["b"]))
    deadline = time.monotonic() + 10 * STATE_COMMIT_SECONDS
    while len(state_rows(tenant.state_path)["products"]) < 2 and time.monotonic() < deadline:
        time.sleep(STATE_COMMIT_SECONDS / 4)
    assert sorted(sku for _, sku in state_rows(tenant.state_path)["products"]) == ["a", "b"]  # idle: committed
    assert state_rows(tenant.state_path)["bf_projection"] == [(1, 2, 2)]


def test_calls_from_coroutines_are_logged_as_one_group_with_a_thread_among_them(domain, tmp_path, monkeypatch):
    tenant = Tenant("t", domain, tmp_path)
    commits = []
    append_requests = tenant.log.append_requests
    monkeypatch.setattr(tenant.log, "append_requests", lambda requests: commits.append(len(requests)) or
                        append_requests(requests))

    async def calls():
        loop = asyncio.get_running_loop()
        with tenant.paused():  # the leader waits for the lock while everyone queues
            tasks = [asyncio.create_task(tenant.run(AddProductsReq(skus=[f"p{i}"]))) for i in range(5)]
            thread_call = loop.run_in_executor(None, tenant.execute, AddProductsReq(skus=["by-thread"]))
            while len(tenant._queue) < 6:
                await asyncio.sleep(0.001)
        return await asyncio.gather(*tasks, thread_call)

    outcomes = asyncio.run(asyncio.wait_for(calls(), 10))
    assert commits == [6]
    assert [o.code for o in outcomes] == [Code.OK] * 6
    assert sorted(e.sku for e in tenant.events()) == sorted([f"p{i}" for i in range(5)] + ["by-thread"])


def test_a_cancelled_coroutine_call_never_stalls_the_tenant(domain, tmp_path):
    tenant = Tenant("t", domain, tmp_path)

    async def calls():
        with tenant.paused():
            first = asyncio.create_task(tenant.run(AddProductsReq(skus=["gone"])))
            second = asyncio.create_task(tenant.run(AddProductsReq(skus=["kept"])))
            while len(tenant._queue) < 2:
                await asyncio.sleep(0.001)
            first.cancel()  # the caller went away while queued: its request still runs with its group
        kept = await second
        later = await tenant.run(AddProductsReq(skus=["later"]))
        return first.cancelled(), kept, later

    cancelled, kept, later = asyncio.run(asyncio.wait_for(calls(), 10))
    assert cancelled and kept.code == later.code == Code.OK
    assert [e.sku for e in tenant.events()] == ["gone", "kept", "later"]


def test_a_log_that_refuses_an_append_fails_the_group_and_the_state_forgets_it(domain, tmp_path, monkeypatch):
    tenant = Tenant("t", domain, tmp_path)
    tenant.execute(AddProductsReq(skus=["kept"]))
    appends = tenant.log.append_requests

    def disk_full(requests):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(tenant.log, "append_requests", disk_full)
    with pytest.raises(OSError):
        tenant.execute(AddProductsReq(skus=["lost"]))
    monkeypatch.setattr(tenant.log, "append_requests", appends)
    assert tenant.execute(AddProductsReq(skus=["lost"])).code == Code.OK  # the refused one left nothing behind
    assert [e.sku for e in tenant.events()] == ["kept", "lost"]
    with tenant.paused():
        assert sorted(sku for _, sku in state_rows(tenant.state_path)["products"]) == ["kept", "lost"]
