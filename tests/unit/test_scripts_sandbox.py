"""The Lua sandbox itself: limits, isolation between runs, the cache, the runtime per tenant."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from domain.contracts.inventory_pb2 import (InventoryUpdated, LocationAdded, ProductAdded, ReserveReq,
                                            UpdateInventoryReq)
from domain.contracts.scripts_pb2 import InstallScriptReq, ScriptInstalled
from domain.scripting import runtime as runtime_module
from domain.scripting.runtime import MAX_SOURCE_BYTES, ScriptFailure, ScriptRuntime
from domain.scripting.tenants import runtime_for
from workbench.core import ROOT, Code
from workbench.core.ids import spec_uid
from workbench.core.state_db import open_state
from workbench.core.transaction import Transaction
from workbench.specs.sandbox import SpecSandbox

SHOP, MUG = spec_uid(1), spec_uid(2)
STOCKED = [LocationAdded(uid=SHOP, name="Shop", parent=ROOT), ProductAdded(uid=MUG, sku="MUG"),
           InventoryUpdated(location=SHOP, product=MUG, OnHandChange=5, OnHand=5)]
RESERVE_ONE = ReserveReq(reservation="r1", items=[ReserveReq.Item(sku="MUG", quantity=1)], location=SHOP)


@pytest.fixture
def runtime():
    return ScriptRuntime()


@pytest.fixture
def tx(domain):
    db = open_state(domain.schema_sql)
    return Transaction(db, domain.registry.appliers, lambda: "unused")


def failure_of(runtime, source, tx, request=None):
    with pytest.raises(ScriptFailure) as raised:
        runtime.run("reserve", source, request or {}, tx)
    return raised.value


def test_a_script_answers_a_table_read_as_a_dict(runtime, tx):
    assert runtime.run("reserve", "return {reject = request.why .. '!'}", {"why": "closed"}, tx) == {"reject": "closed!"}
    assert runtime.run("reserve", "local r = ... return {location = r.where}", {"where": "x"}, tx) == {"location": "x"}
    assert runtime.run("reserve", "return nil", {}, tx) is None


@pytest.mark.parametrize("source", [
    "while true do end",
    "local s = 'x' while true do s = s .. s end",
    "local function f() return 1 + f() end return f()",
    "while true do pcall(function() while true do end end) end",
    "for i = 1, 1e9 do inventory.product('MUG') end",
])
def test_a_runaway_script_fails_within_the_bound_and_the_runtime_keeps_working(runtime, tx, source):
    started = time.perf_counter()
    failure = failure_of(runtime, source, tx)
    assert failure.code is Code.RESOURCE_EXHAUSTED, failure.message
    assert time.perf_counter() - started < 1.0  # measured: under 100 ms each
    assert runtime.run("reserve", "return {reject = 'still here'}", {}, tx) == {"reject": "still here"}


def test_memory_is_capped_per_run_not_for_the_runtimes_life(runtime, tx):
    grow = "local t = {} for i = 1, 2000 do t[i] = string.rep('x', 1500) .. i end return nil"  # about 3 MiB
    for _ in range(20):  # 60 MiB in all: more than one run's cap, garbage between runs
        assert runtime.run("reserve", grow, {}, tx) is None


def test_the_budget_error_names_the_line(runtime, tx):
    failure = failure_of(runtime, "local n = 0\n\nwhile true do\n  n = n + 1\nend", tx)
    assert failure.message == "reserve script:4: ran past its budget of 1,000,000 instructions"


def test_globals_a_script_sets_do_not_reach_the_next_run(runtime, tx):
    source = "local seen = counter\ncounter = (counter or 0) + 1\nreturn {reject = tostring(seen)}"
    assert runtime.run("reserve", source, {}, tx) == {"reject": "nil"}
    assert runtime.run("reserve", source, {}, tx) == {"reject": "nil"}


def test_shared_libraries_cannot_be_changed_even_raw(runtime, tx):
    for source in ["string.upper = nil", "rawset(string, 'upper', nil)", "table.insert = nil",
                   "setmetatable(string, {})", "getmetatable('').__index = {}"]:
        failure_of(runtime, source, tx)
    assert runtime.run("reserve", "return {reject = string.upper('ok')}", {}, tx) == {"reject": "OK"}


def test_no_python_object_is_reachable(runtime, tx):
    # Every value a script can touch is Lua: the host functions are Lua closures.
    probe = "return {reject = type(inventory.product) .. ' ' .. tostring(python) .. ' ' .. tostring(_G)}"
    assert runtime.run("reserve", probe, {}, tx) == {"reject": "function nil nil"}


@pytest.mark.parametrize("metamethod", ["__index", "__pairs", "__len"])
def test_an_answer_is_read_raw_so_no_metamethod_runs_outside_the_budget(runtime, tx, metamethod):
    sneaky = f"return setmetatable({{reject = 'x'}}, {{{metamethod} = function() while true do end end}})"
    assert runtime.run("reserve", sneaky, {}, tx) == {"reject": "x"}


def test_only_the_first_of_several_returned_values_counts(runtime, tx):
    assert runtime.run("reserve", "return {reject = 'a'}, 5", {}, tx) == {"reject": "a"}
    assert runtime.run("reserve", "return nil, 5", {}, tx) is None


def test_compiled_chunks_are_cached_by_source(runtime, tx, monkeypatch):
    compiled = []
    real_compile = runtime._compile
    monkeypatch.setattr(runtime, "_compile", lambda *args: compiled.append(args) or real_compile(*args))
    for _ in range(3):
        runtime.run("reserve", "return nil", {}, tx)
    runtime.run("reserve", "return {}", {}, tx)
    assert len(compiled) == 2


def test_compile_errors_carry_the_line_and_big_sources_are_refused(runtime):
    assert runtime.compile_error("reserve", "return nil") is None
    assert runtime.compile_error("reserve", "local x = 1\nreturn {") == \
        "reserve script does not compile: reserve script:2: unexpected symbol near <eof>"
    assert "over 64 KiB" in runtime.compile_error("reserve", "--" + "x" * MAX_SOURCE_BYTES)


def test_precompiled_bytecode_is_refused(runtime):
    assert "attempt to load a binary chunk" in runtime.compile_error("reserve", "\x1bLua")


def test_one_runtime_per_tenant_reused_across_requests(domain):
    first, second = open_state(domain.schema_sql), open_state(domain.schema_sql)
    assert runtime_for(first) is runtime_for(first)
    assert runtime_for(first) is not runtime_for(second)


def test_the_host_api_reads_the_tenants_state(domain):
    sandbox = SpecSandbox(domain)
    script = ("local p = inventory.product('MUG')\n"
              "local shop = inventory.find_location('Shop')\n"
              "return {reject = p.uid .. ' ' .. shop.name .. ' ' .. inventory.location(shop.uid).parent .. ' '"
              " .. inventory.on_hand(shop.uid, 'MUG') .. ' ' .. inventory.available(shop.uid, p.uid)"
              " .. ' ' .. tostring(inventory.product('nope'))}")
    outcome = sandbox.run(STOCKED + [ScriptInstalled(hook="reserve", source=script, version=1)], RESERVE_ONE, 3)
    assert outcome.message == f"reserve script rejected the request: {MUG} Shop {ROOT} 5 5 nil"


def test_a_script_error_rolls_back_the_whole_request(domain):
    sandbox = SpecSandbox(domain)
    given = STOCKED + [ScriptInstalled(hook="update_inventory", source="error('no')", version=1)]
    outcome = sandbox.run(given, UpdateInventoryReq(location=SHOP, product=MUG, OnHandChange=1), 3)
    assert (outcome.code, outcome.events) == (Code.FAILED_PRECONDITION, [])


def test_installing_compiles_in_the_tenants_runtime(domain):
    outcome = SpecSandbox(domain).run([], InstallScriptReq(hook="reserve", source="return {"), 1)
    assert outcome.code is Code.INVALID_ARGUMENT and "reserve script:1:" in outcome.message


def test_the_limits_are_the_documented_ones():
    assert (runtime_module.INSTRUCTION_BUDGET, runtime_module.MEMORY_PER_RUN, runtime_module.HOST_CALLS_PER_RUN,
            runtime_module.TIME_PER_RUN) == (1_000_000, 16 * 2**20, 1_000, 0.25)


def test_a_limit_hit_starts_a_fresh_state_and_frees_the_old_one_at_once(runtime, tx):
    # A deep recursion leaves the state's stack grown, which slowed every later
    # run (16 ms became 100 ms after a few); a cycle kept the state alive until gc.
    old_state = runtime._lua
    try:  # not pytest.raises: its ExceptionInfo makes a cycle of its own
        runtime.run("reserve", "local function f() return 1 + f() end return f()", {}, tx)
    except ScriptFailure as failure:
        assert failure.code is Code.RESOURCE_EXHAUSTED
    assert runtime._lua is not old_state
    assert sys.getrefcount(old_state) == 2  # this local and getrefcount's argument: nothing else
    assert runtime.run("reserve", "return {reject = 'fresh'}", {}, tx) == {"reject": "fresh"}


def test_an_ordinary_script_error_keeps_the_state_and_its_compiled_chunks(runtime, tx):
    state = runtime._lua
    failure_of(runtime, "error('no')", tx)
    assert runtime._lua is state


@pytest.mark.parametrize("source, code", [
    ("error('order too large')", Code.FAILED_PRECONDITION),
    ("error('stack overflow in the warehouse', 0)", Code.FAILED_PRECONDITION),
    ("local ok, e = pcall(string.rep, 'x', 1e12) error(e)", Code.RESOURCE_EXHAUSTED),
    ("local ok, e = pcall(function() local s = 'x' while true do s = s .. s end end) error(e)", Code.RESOURCE_EXHAUSTED),
])
def test_only_luas_own_limit_errors_count_as_exhausted(runtime, tx, source, code):
    assert failure_of(runtime, source, tx).code is code


def test_runs_from_several_threads_on_one_runtime_each_see_their_own_request(runtime, domain):
    answers: dict[int, list] = {}

    def reserve_many(worker: int) -> None:
        db = open_state(domain.schema_sql)
        own_tx = Transaction(db, domain.registry.appliers, lambda: "unused")
        answers[worker] = [runtime.run("reserve", "return {reject = request.who .. '/' .. request.n}",
                                       {"who": str(worker), "n": n}, own_tx)["reject"] for n in range(200)]
    threads = [threading.Thread(target=reserve_many, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {worker: [f"{worker}/{n}" for n in range(200)] for worker in range(4)}


@pytest.mark.parametrize("ending", ["return nil", "error('no')"])
def test_a_run_that_leaves_much_garbage_gives_it_back_at_once(runtime, tx, ending):
    # An idle tenant's runtime would otherwise hold a run's 14 MiB for good, 64 runtimes at a time.
    before = runtime._lua.get_memory_used()
    try:
        runtime.run("reserve", f"local t, s = {{}}, string.rep('x', 10000) for i = 1, 1400 do t[i] = s .. i end {ending}",
                    {}, tx)
    except ScriptFailure as failure:
        assert failure.code is Code.FAILED_PRECONDITION
    assert runtime._lua.get_memory_used() < before + runtime_module.GARBAGE_KEPT
