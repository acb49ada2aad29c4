"""The watch engine end to end, in a temporary copy of the project: real
watchfiles, a real fork server, real worker processes, real edits on disk."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
import subprocess
import sys
from pathlib import Path

from workbench.watch import engine as engine_module
from workbench.watch.engine import WatchEngine
from workbench.watch.events import ChangeSeen, RunCancelled, RunFinished, RunStarted, SpecFinished, SpecsLoaded, WatchStarted
from workbench.watch.forkserver import ForkServer

FEATURE = "domain/features/products/add.py"
PRODUCTS_ADD = "domain.features.products.add"
WORKING = "uids.append(uid)"
BROKEN = "uids.append(sku)"  # the same size: a stale .pyc would hide this edit
EVENT_TIMEOUT = 20  # seconds; a hang fails the test instead of blocking the suite


@asynccontextmanager
async def watching(project):
    engine = WatchEngine(project)
    events = engine.events()
    try:
        yield engine, events
    finally:
        engine.stop()
        await events.aclose()


class Run:
    def __init__(self, started: RunStarted | None, verdicts: dict[str, SpecFinished], end):
        self.started = started
        self.verdicts = verdicts
        self.end = end

    def statuses(self) -> set[str]:
        return {v.status for v in self.verdicts.values()}


async def next_run(events) -> Run:
    """Events up to the end of the next run (finished or cancelled)."""
    started, verdicts = None, {}
    while True:
        event = await asyncio.wait_for(anext(events), EVENT_TIMEOUT)
        if isinstance(event, RunStarted):
            started, verdicts = event, {}
        elif isinstance(event, SpecFinished):
            verdicts[event.spec_id] = event
        elif isinstance(event, (RunFinished, RunCancelled)):
            return Run(started, verdicts, event)


def edit(project, old: str, new: str) -> None:
    path = project.root / FEATURE
    path.write_text(path.read_text().replace(old, new, 1))


async def test_breaking_a_feature_turns_exactly_its_specs_red_then_green(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        first = await next_run(events)
        assert first.statuses() == {"pass"} and len(first.verdicts) > 10
        touching = {s for s, v in first.verdicts.items() if PRODUCTS_ADD in v.verdict["touched"]}
        untouched = set(first.verdicts) - touching
        assert touching and untouched

        edit(small_project_copy, WORKING, BROKEN)
        red = await next_run(events)
        # exactly the specs whose run executed the edited handler: not those that only apply its events
        assert set(red.verdicts) == {s for s, v in first.verdicts.items()
                                     if PRODUCTS_ADD in v.verdict["touched"] and "AddProducts" in str(v.verdict["actual"])
                                     or v.verdict["name"] and s.startswith("specs/products/add.spec#")}
        assert set(red.verdicts) < touching
        assert "fail" in red.statuses()
        failing = next(v for v in red.verdicts.values() if v.status == "fail")
        assert failing.reason == f"its run executed add_products in {FEATURE}, which changed"
        assert any(d["path"].startswith("Response") for d in failing.verdict["differences"])

        edit(small_project_copy, BROKEN, WORKING)
        green = await next_run(events)
        assert set(green.verdicts) == set(red.verdicts)
        assert green.statuses() == {"pass"}
        assert green.end.latency_ms > 0 and engine.last_latency_ms == green.end.latency_ms


async def test_a_syntax_error_marks_the_affected_specs_as_errors_and_watching_goes_on(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await next_run(events)
        edit(small_project_copy, "def add_products(", "def add_products(:")
        broken = await next_run(events)
        assert broken.statuses() == {"error"}
        error = next(iter(broken.verdicts.values())).verdict["error"]
        assert f"{FEATURE}:7: SyntaxError" in error.replace(str(small_project_copy.root) + "/", "")
        assert list(engine.broken) == [FEATURE]

        edit(small_project_copy, "def add_products(:", "def add_products(")
        fixed = await next_run(events)
        assert set(fixed.verdicts) >= set(broken.verdicts)  # the fix reruns every spec the break hurt
        assert fixed.statuses() == {"pass"}
        assert engine.broken == {}


async def test_a_save_during_a_run_cancels_it_and_the_next_run_takes_over_its_specs(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await next_run(events)
        asleep = small_project_copy.root / "worker-is-asleep"  # outside the watched folders
        sleeper = f"    import pathlib, time; pathlib.Path({str(asleep)!r}).touch(); time.sleep(60)\n"
        edit(small_project_copy, "    uids = []\n", "    uids = []\n" + sleeper)
        started = await asyncio.wait_for(anext(events), EVENT_TIMEOUT)
        while not isinstance(started, RunStarted):
            started = await asyncio.wait_for(anext(events), EVENT_TIMEOUT)
        # Saving before the worker has read the edited feature would let it run the fixed code and finish.
        await asyncio.wait_for(_until(asleep.exists), EVENT_TIMEOUT)
        edit(small_project_copy, sleeper, "")  # saved while the worker sleeps
        cancelled = await next_run(events)
        assert isinstance(cancelled.end, RunCancelled) and cancelled.end.run == started.run
        after = await next_run(events)
        assert isinstance(after.end, RunFinished)
        assert {s.spec_id for s in started.selection} <= set(after.verdicts)
        assert after.statuses() == {"pass"}


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_a_burst_of_saves_is_one_change_and_one_run(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await next_run(events)
        path = small_project_copy.root / FEATURE
        text = path.read_text()
        steps = ["", text[:100], text + "\n", text]  # an editor writing a file in steps, within a millisecond
        for step in steps:
            path.write_text(step)
        seen = []
        while not isinstance(event := await asyncio.wait_for(anext(events), EVENT_TIMEOUT), (RunFinished, RunCancelled)):
            if isinstance(event, ChangeSeen):
                seen.append(event.paths)
        assert seen == [[FEATURE]] and isinstance(event, RunFinished) and event.failed == 0


async def test_run_all_and_rerun_failed(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        everything = await next_run(events)
        edit(small_project_copy, WORKING, BROKEN)
        red = await next_run(events)
        failed = {s for s, v in red.verdicts.items() if v.status != "pass"}

        engine.rerun_failed()
        again = await next_run(events)
        assert set(again.verdicts) == failed
        assert {v.reason for v in again.verdicts.values()} == {"failed last time"}

        engine.run_all()
        whole = await next_run(events)
        assert set(whole.verdicts) == set(everything.verdicts)


async def test_a_broken_schema_makes_every_spec_an_error_and_its_fix_green(small_project_copy):
    schema = small_project_copy.root / "domain/schema.sql"
    good = schema.read_text()
    async with watching(small_project_copy) as (engine, events):
        everything = await next_run(events)
        schema.write_text("CREATE TABLE oops (;\n" + good)
        broken = await next_run(events)
        assert set(broken.verdicts) == set(everything.verdicts) and broken.statuses() == {"error"}
        assert "sqlite3.OperationalError" in next(iter(broken.verdicts.values())).verdict["error"]
        schema.write_text(good)
        assert (await next_run(events)).statuses() == {"pass"}


async def test_a_malformed_spec_file_is_reported_with_its_line(small_project_copy):
    spec_file = small_project_copy.root / "specs/products/add.spec"
    async with watching(small_project_copy) as (engine, events):
        await next_run(events)
        text = spec_file.read_text()
        line = text[:text.index("\n  AddProductsReq skus")].count("\n") + 2
        spec_file.write_text(text.replace("\n  AddProductsReq skus", "\n  AddProductReq skus", 1))
        loaded, verdicts = None, {}
        while not isinstance(event := await asyncio.wait_for(anext(events), EVENT_TIMEOUT), RunFinished):
            if isinstance(event, SpecsLoaded) and event.file == "specs/products/add.spec":
                loaded = event
            elif isinstance(event, SpecFinished):
                verdicts[event.spec_id] = event.verdict
        assert loaded.error == (f"specs/products/add.spec:{line}: unknown message AddProductReq; "
                                "did you mean AddProductsReq?")
        # every spec of the file still counts, each an error that says why: never an old verdict
        ids = {info.spec_id for info in loaded.specs}
        assert len(ids) == 12 and ids <= set(verdicts)
        assert {verdicts[s]["status"] for s in ids} == {"error"}
        assert all(loaded.error in verdicts[s]["error"] for s in ids)
        assert event.total == len(engine.specs) and event.failing == 12


async def test_a_deleted_spec_file_takes_its_specs_away(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await next_run(events)
        assert any(s.startswith("specs/products/add.spec#") for s in engine.specs)
        (small_project_copy.root / "specs/products/add.spec").unlink()
        while not isinstance(await asyncio.wait_for(anext(events), EVENT_TIMEOUT), RunFinished):
            pass
        assert not any(s.startswith("specs/products/add.spec#") for s in [*engine.specs, *engine.verdicts])


async def test_without_a_file_watch_to_spare_the_engine_polls(small_project_copy, monkeypatch):
    real_awatch = engine_module.awatch

    def awatch_without_inotify(*paths, force_polling, **options):
        if force_polling:
            return real_awatch(*paths, force_polling=force_polling, **options)

        async def refused():
            raise OSError("OS file watch limit reached")
            yield

        return refused()

    monkeypatch.setattr(engine_module, "awatch", awatch_without_inotify)
    async with watching(small_project_copy) as (engine, events):
        started = await asyncio.wait_for(anext(events), EVENT_TIMEOUT)
        assert isinstance(started, WatchStarted) and started.polling and engine.polling
        await next_run(events)
        edit(small_project_copy, WORKING, BROKEN)
        assert "fail" in (await next_run(events)).statuses()


def test_the_engine_runs_without_textual():
    code = "import sys, workbench.watch.engine; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


async def test_the_fork_server_imports_the_contracts_but_no_feature(project):
    server = ForkServer(project)
    await server.start()
    await server.stop()
    contracts = project.root / Path(*project.contracts.split("."))
    assert any(p.name == "inventory_pb2.py" for p in server.imported)
    framework = project.root / "workbench"
    assert any(p.is_relative_to(framework) for p in server.imported)  # a framework edit restarts it
    assert all(p.is_relative_to(contracts) or p.is_relative_to(framework) or p.name == "__init__.py"
               for p in server.imported)
    assert not any(p.is_relative_to(project.features_dir) for p in server.imported)


async def test_a_contract_change_restarts_the_fork_server(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await next_run(events)
        first_server = engine._forkserver._process.pid
        contract = small_project_copy.root / "domain/contracts/inventory_pb2.py"
        contract.write_text(contract.read_text() + "\n")
        everything = await next_run(events)
        assert {v.reason for v in everything.verdicts.values()} == {
            "the generated contracts changed: domain/contracts/inventory_pb2.py"}
        assert everything.statuses() == {"pass"}
        assert engine._forkserver._process.pid != first_server


async def test_a_feature_that_changed_hands_unseen_by_a_run_is_still_rechecked_when_its_save_arrives(
        small_project_copy, monkeypatch):
    """A run that did not compare who serves each message (here an asked run; in life, a run that
    started before the save of a new feature arrived) must not adopt what it saw: the save's own run
    compares with the claims before it and reruns every spec whose message changed hands."""
    from tests.watch_truth import fresh_bf_test

    async def no_file_events(*paths, **options):  # the test says what was saved, and when
        await asyncio.Event().wait()
        yield

    monkeypatch.setattr(engine_module, "awatch", no_file_events)
    project = small_project_copy
    async with watching(project) as (engine, events):
        assert "fail" not in (await next_run(events)).statuses()
        copy = project.root / FEATURE.replace("add.py", "add_again.py")
        copy.write_text((project.root / FEATURE).read_text())  # a second feature serving AddProductsReq
        engine.run(["specs/products/add.spec#1"])
        await next_run(events)
        engine.notice([copy])
        await next_run(events)
        truth = {spec: verdict[0] for spec, verdict in fresh_bf_test(project.root).verdicts.items()}
        shown = {spec: verdict["status"] for spec, verdict in engine.verdicts.items()}
        assert "error" in truth.values() and shown == truth
