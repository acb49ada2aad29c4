"""The location tree's depth limit (domain/tree_depth.py): no request makes a tree
deeper than MAX_DEPTH, every listing decodes in a stock protobuf client, and a
tree deeper than the limit (from an old log) replays, is refused a listing
clearly, and can be flattened."""

from __future__ import annotations

import random
import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc
from domain.tree_depth import MAX_DEPTH
from workbench.core import ROOT, Code
from workbench.core.execute import execute
from workbench.core.ids import SequentialIds, spec_uid
from workbench.core.state_db import open_state
from workbench.core.transaction import apply_event
from workbench.service.server import Server


def nested(depth: int, name: str = "box") -> inv.AddLocationsReq.Loc:
    loc = inv.AddLocationsReq.Loc(name=f"{name} {depth}")
    for level in range(depth - 1, 0, -1):
        loc = inv.AddLocationsReq.Loc(name=f"{name} {level}", locs=[loc])
    return loc


def levels(locs) -> int:
    return max((1 + levels(loc.chidren) for loc in locs), default=0)


def test_a_tree_as_deep_as_allowed_lists_through_a_real_server_and_one_level_more_is_refused(domain, tmp_path,
                                                                                              socket_dir):
    server = Server(domain, tmp_path / "data", f"unix:{socket_dir / 's.sock'}", workers=4)
    server.start()
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = inventory_pb2_grpc.InventoryServiceStub(channel)
            added = stub.AddLocations(inv.AddLocationsReq(locs=[nested(MAX_DEPTH)]))
            bottom = added.locs[0]
            while bottom.locs:
                bottom = bottom.locs[0]
            # The response arrives through the stock Python decoder (nesting limit 100).
            assert levels(stub.ListLocations(inv.ListLocationsReq()).locs) == MAX_DEPTH
            with pytest.raises(grpc.RpcError) as refused:
                stub.AddLocations(inv.AddLocationsReq(parent=bottom.uid, locs=[inv.AddLocationsReq.Loc(name="bin")]))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.details() == f"locations would be {MAX_DEPTH + 1} levels below the root; " \
                                              f"the tree is at most {MAX_DEPTH} deep"
    finally:
        server.stop(grace=0)


@pytest.fixture
def state(domain):
    db = open_state(domain.schema_sql)
    db.execute("BEGIN")
    return db


def run(domain, db, request, ids):
    return execute(domain.registry, db, request, ids)


def test_a_tree_deeper_than_any_listing_from_an_old_log_is_refused_clearly_and_can_be_flattened(domain, state):
    depth = 200  # past protobuf's nesting limit of 100: the listing could be made, not read
    for n in range(1, depth + 1):
        apply_event(domain.registry.appliers, state,
                    inv.LocationAdded(uid=spec_uid(n), name=f"level {n}", parent=spec_uid(n - 1) if n > 1 else ROOT))
    ids = SequentialIds(depth + 1)
    started = time.perf_counter()
    refused = run(domain, state, inv.ListLocationsReq(), ids)
    assert (refused.code, refused.message) == (
        Code.FAILED_PRECONDITION, f"the listing would nest {depth} levels, more than the {MAX_DEPTH} a tree may have:"
                                  " list a location further down, or move the deepest ones up")
    assert time.perf_counter() - started < 1.0
    near_the_bottom = run(domain, state, inv.ListLocationsReq(location=spec_uid(depth - MAX_DEPTH + 1)), ids)
    assert levels(inv.ListLocationsResp.FromString(near_the_bottom.response.SerializeToString()).locs) == MAX_DEPTH
    assert run(domain, state, inv.MoveLocationReq(uid=spec_uid(depth - 10), newParent=spec_uid(depth - 5)),
               ids).code is Code.FAILED_PRECONDITION  # into its own subtree: the usual rules still hold
    assert run(domain, state, inv.MoveLocationReq(uid=spec_uid(depth - 10)), ids).code is Code.OK  # shallower: allowed
    assert run(domain, state, inv.MoveLocationReq(uid=spec_uid(depth - 10), newParent=spec_uid(depth - 12)),
               ids).code is Code.INVALID_ARGUMENT  # deeper than the limit and than it is: refused


@pytest.mark.parametrize("seed", range(3))
def test_random_adds_and_moves_never_make_a_tree_deeper_than_the_limit(domain, state, seed):
    """Oracle: a parent map. A request is refused exactly when it would put a
    location past MAX_DEPTH; the state's depths always match the oracle's."""
    rng = random.Random(seed)
    parent: dict[str, str] = {}
    ids = SequentialIds(1)
    refused_as_too_deep = 0

    def depth(uid: str) -> int:
        return 0 if uid == ROOT else 1 + depth(parent[uid])

    def height(uid: str) -> int:
        return max((1 + height(child) for child, up in parent.items() if up == uid), default=0)

    def below(uid: str, ancestor: str) -> bool:
        return uid == ancestor or (uid != ROOT and below(parent[uid], ancestor))

    for step in range(200):
        uids = list(parent)
        if not uids or rng.random() < 0.6:
            under = rng.choice([ROOT, *uids])
            batch = nested(rng.randint(1, 12), name=f"s{step}")
            outcome = run(domain, state, inv.AddLocationsReq(parent=under, locs=[batch]), ids)
            fits = depth(under) + levels_of_request(batch) <= MAX_DEPTH
            assert (outcome.code is Code.OK) == fits, outcome.message
            refused_as_too_deep += not fits
            if fits:
                for event in outcome.events:
                    parent[event.uid] = event.parent
        else:
            uid, new_parent = rng.choice(uids), rng.choice([ROOT, *uids])
            outcome = run(domain, state, inv.MoveLocationReq(uid=uid, newParent=new_parent), ids)
            if below(new_parent, uid):
                assert outcome.code is Code.FAILED_PRECONDITION
                continue
            fits = depth(new_parent) + 1 + height(uid) <= MAX_DEPTH
            assert (outcome.code is Code.OK) == fits, outcome.message
            refused_as_too_deep += not fits
            if fits:
                parent[uid] = new_parent
        assert state.execute("SELECT max(depth) FROM ancestry WHERE ancestor = ?", (ROOT,)).fetchone()[0] == \
            max((depth(uid) for uid in parent), default=0)
    assert refused_as_too_deep > 0  # the walk reached the limit
    listing = run(domain, state, inv.ListLocationsReq(), ids).response
    assert levels(inv.ListLocationsResp.FromString(listing.SerializeToString()).locs) <= MAX_DEPTH


def levels_of_request(loc: inv.AddLocationsReq.Loc) -> int:
    return 1 + max((levels_of_request(child) for child in loc.locs), default=0)
