"""Issue 11's defects, each reproduced as it was seen, each now right: the
real engine (watchfiles, fork server, workers) on a temporary copy of the project."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from tests.unit.test_watch_engine import EVENT_TIMEOUT, watching
from workbench.commands.watch import TextLines
from workbench.config import find_project
from workbench.watch.engine import _saved_at
from workbench.watch.events import ChangeSeen, ErrorGroup, Idle, RunFinished, SpecRunning, SpecsLoaded
from workbench.watch.memory import REMEMBERED_REASON


def write(project, name: str, old: str, new: str) -> None:
    path = project.root / name
    text = path.read_text()
    assert old in text, f"{old!r} is not in {name}"
    path.write_text(text.replace(old, new, 1))


async def until_idle(events) -> list:
    seen = []
    while not isinstance(event := await asyncio.wait_for(anext(events), EVENT_TIMEOUT), Idle):
        seen.append(event)
    return seen + [event]


def bf_test(project) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", "--project", str(project.root), "test"],
                          cwd=project.root, capture_output=True, text=True, timeout=120)


async def test_1_a_shared_module_broken_then_mended_goes_back_to_green(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await until_idle(events)
        write(small_project_copy, "domain/totals.py", "\ndef ", "\ndef broken(:\n    pass\n\ndef ")
        broken = [e for e in await until_idle(events) if isinstance(e, RunFinished)][-1]
        assert broken.failed > 0 and broken.failing == broken.failed
        # defect 7: one syntax error is one error group listing every spec it hit, not one traceback each
        (group,) = broken.errors
        assert len(group.specs) == broken.failed and "SyntaxError" in group.error
        write(small_project_copy, "domain/totals.py", "\ndef broken(:\n    pass\n\ndef ", "\ndef ")
        mended = [e for e in await until_idle(events) if isinstance(e, RunFinished)][-1]
        assert mended.failing == 0 and mended.green
        assert {v["status"] for v in engine.verdicts.values()} == {"pass"}


async def test_2_a_second_feature_serving_a_request_is_an_error_in_watch_and_bf_test(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await until_idle(events)
        source = small_project_copy.root / "domain/features/products/add.py"
        (source.parent / "add_copy.py").write_text(source.read_text())
        await until_idle(events)
        errors = {s: v for s, v in engine.verdicts.items() if v["status"] == "error"}
        assert any(s.startswith("specs/products/add.spec#") for s in errors)
        assert all("is claimed by both" in v["error"] for v in errors.values())
        assert "domain/features/products/add_copy.py" in engine.broken
    done = bf_test(small_project_copy)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "AddProductsReq is claimed by both" in done.stderr


async def test_3_an_edited_proto_is_stale_until_bf_protos_and_then_unparsable_specs_count(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await until_idle(events)
        write(small_project_copy, "domain/contracts/inventory.proto", "string newParent = 2;", "string newParentUid = 2;")
        idle = (await until_idle(events))[-1]
        assert idle.stale and engine.stale, "a .proto edit is never green"
        assert "contracts stale" in bf_test(small_project_copy).stderr
        subprocess.run([sys.executable, "-m", "workbench.cli", "protos"], cwd=small_project_copy.root, check=True,
                       capture_output=True, timeout=120)
        seen = await until_idle(events)
        idle = seen[-1]
        assert idle.stale == [] and engine.stale == []
        move = [e for e in seen if isinstance(e, SpecsLoaded) and e.file == "specs/locations/move.spec"][-1]
        assert move.error and "newParent" in move.error and move.specs
        assert all(engine.verdicts[i.spec_id]["status"] == "error" for i in move.specs)
        assert idle.total == len(engine.specs) and idle.failing >= len(move.specs)


async def test_4_a_renamed_moved_or_deleted_folder_of_specs_is_seen(small_project_copy):
    specs = small_project_copy.specs_dir
    async with watching(small_project_copy) as (engine, events):
        await until_idle(events)
        locations = {s for s in engine.specs if s.startswith("specs/locations/")}
        (specs / "locations").rename(specs / "places")
        changes = [e for e in await until_idle(events) if isinstance(e, ChangeSeen)]
        assert changes, "a folder rename makes an event"
        assert not any(s.startswith("specs/locations/") for s in engine.specs)
        assert {s.replace("locations", "places", 1) for s in locations} == {
            s for s in engine.specs if s.startswith("specs/places/")}
        assert all(engine.verdicts[s.replace("locations", "places", 1)]["status"] == "pass" for s in locations)
        (specs / "places").rename(small_project_copy.root / "outside")  # moved out: a delete
        await until_idle(events)
        assert not any(s.startswith("specs/places/") for s in engine.specs)


def test_5_a_framework_edit_restarts_the_warm_worker_and_reruns(tmp_path):
    from tests.watch_truth import WatchProcess, compare, fresh_bf_test, make_copy

    root = make_copy(tmp_path / "copy")
    watch = WatchProcess(root)
    try:
        watch.settle(first_event_within=60)
        write(find_project(root), "workbench/core/transaction.py", "        self.events.append(event)\n",
              "        self.events.append(event)\n        self.events.append(event)\n")
        watch.settle()
        oracle = fresh_bf_test(root)
        assert sum(1 for v in oracle.verdicts.values() if v[0] != "pass") > 50
        assert compare(watch, oracle) == []
    finally:
        watch.stop()


async def test_6_a_runaway_handler_is_a_timeout_naming_the_spec_and_the_run_goes_on(small_project_copy):
    write(small_project_copy, "pyproject.toml", "[tool.bf]\n", "[tool.bf]\nspec_timeout = 0.5\n")
    project = find_project(small_project_copy.root)
    async with watching(project) as (engine, events):
        await until_idle(events)
        write(project, "domain/features/products/add.py", "    uids = []\n", "    uids = []\n    while True:\n        pass\n")
        saved = time.time()
        seen = await until_idle(events)
    running = [e for e in seen if isinstance(e, SpecRunning)]
    timeouts = {s for s, v in engine.verdicts.items() if v["status"] == "timeout"}
    assert running and {e.spec_id for e in running} <= timeouts
    assert all("time budget of 0.5 s" in engine.verdicts[s]["error"] for s in timeouts)
    assert "while True" in engine.verdicts[min(timeouts)]["error"], "the timeout says where it was"
    done = [e for e in seen if isinstance(e, RunFinished)][-1]
    assert done.failed == len(timeouts) > 1  # a fresh worker took over after each timeout
    assert done.latency_ms < (time.time() - saved) * 1000 + 100


def test_6_latency_counts_from_the_last_save(tmp_path):
    early, late = tmp_path / "early.py", tmp_path / "late.py"
    early.write_text("")
    late.write_text("")
    now = time.time()
    import os
    os.utime(early, (now - 3, now - 3))
    os.utime(late, (now - 0.5, now - 0.5))
    assert abs(_saved_at([early, late]) - (now - 0.5)) < 0.01


def test_7_identical_errors_print_once_with_the_specs_they_hit():
    class Out:
        text = ""

        def write(self, text):
            self.text += text

        def flush(self):
            pass

        def isatty(self):
            return False

    out = Out()
    trace = "Traceback (most recent call last):\n  File \"domain/totals.py\", line 3\nSyntaxError: invalid syntax\n"
    TextLines(out).show(RunFinished(2, 12.0, 0, 36, 36, 36, [], [ErrorGroup(trace, [f"specs/a.spec#{n}" for n in range(36)])]))
    assert out.text.count("SyntaxError: invalid syntax") == 1
    assert out.text.startswith("error in 36 spec(s): specs/a.spec#0, specs/a.spec#1")
    assert "and 31 more" in out.text


async def test_a_restart_shows_the_last_verdicts_at_once_and_runs_only_what_changed(small_project_copy):
    async with watching(small_project_copy) as (engine, events):
        await until_idle(events)
        known = dict(engine.verdicts)
    write(small_project_copy, "domain/features/products/add.py", "uids.append(uid)", "uids.append(sku)")  # while away
    async with watching(small_project_copy) as (engine, events):
        seen = await until_idle(events)
    remembered = [e for e in seen if getattr(e, "reason", None) == REMEMBERED_REASON]
    assert {e.spec_id for e in remembered} == set(known)
    rerun = {e.spec_id for e in seen if getattr(e, "reason", REMEMBERED_REASON) != REMEMBERED_REASON
             and hasattr(e, "spec_id")}
    assert rerun and rerun < set(known)
    assert all(s.startswith("specs/products/") or "add_products" in str(engine.verdicts[s]) for s in rerun)
    assert any(engine.verdicts[s]["status"] == "fail" for s in rerun)
    assert (small_project_copy.root / ".bf-cache/.gitignore").read_text().endswith("*\n")
    assert oct((small_project_copy.root / ".bf-cache/watch.json").stat().st_mode & 0o777) == "0o600"
