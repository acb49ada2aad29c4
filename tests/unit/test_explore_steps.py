"""Time travel and truthful explore without the TUI: every project spec step by
step (against `bf test`'s runner as the oracle), the rows each step changed, the
cache folder, and what `bf explore` says and exits with for each outcome."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys

from workbench.cli import main
from workbench.core.domain import Domain
from workbench.explore.cache import explore_files
from workbench.explore.row_diff import diff, snapshot
from workbench.explore.steps import WHEN, explore_spec
from workbench.specs.loader import load_specs
from workbench.specs.runner import run_spec
from workbench.specs.sandbox import SpecSandbox


def rows_of(path) -> dict:
    db = sqlite3.connect(path)
    try:
        return {table: dict(rows.rows) for table, rows in snapshot(db).items()}
    finally:
        db.close()


def replay(changes_per_step) -> dict:
    """The state rebuilt from nothing but the steps' row changes."""
    state: dict = {}
    for changes in changes_per_step:
        for change in changes:
            rows = state.setdefault(change.table, {})
            for row in change.inserted:
                rows[_key(change, row)] = row
            for before, after in change.changed:
                assert rows[_key(change, before)] == before
                rows[_key(change, after)] = after
            for row in change.deleted:
                del rows[_key(change, row)]
    return state


def _key(change, row):
    return tuple(row[change.columns.index(name)] for name in change.key_columns)


def snapshot_of(path):
    db = sqlite3.connect(path)
    try:
        return snapshot(db)
    finally:
        db.close()


def schema_only(domain, tmp_path):
    path = tmp_path / "schema.db"
    db = sqlite3.connect(path)
    db.executescript(domain.schema_sql)
    db.close()
    return path


def test_every_project_spec_steps_through_to_the_verdict_bf_test_gives(project, domain, tmp_path):
    specs = load_specs([project.specs_dir], domain.messages).specs
    assert len(specs) > 200
    sandbox = SpecSandbox(domain)
    start = snapshot_of(schema_only(domain, tmp_path))
    for number, spec in enumerate(specs):
        folder = tmp_path / str(number)
        exploration = explore_spec(domain, spec, folder / "state.db", folder)
        oracle = run_spec(spec, sandbox)
        assert exploration.verdict.status == oracle.status, spec.location
        assert exploration.verdict.differences == oracle.differences, spec.location
        steps = exploration.steps
        assert [step.kind for step in steps] == ["given"] * len(spec.given) + [WHEN], spec.location
        assert [step.message for step in steps] == [*spec.given, spec.when]
        assert rows_of(steps[-1].path) == rows_of(folder / "state.db"), "the last step is the final state"
        before = start
        for step in steps:  # a step's changes are exactly what differs between its file and the one before
            after = snapshot_of(step.path)
            assert diff(before, after) == step.changes, (spec.location, step.title)
            before = after
        if oracle.outcome is not None and oracle.outcome.events:
            assert steps[-1].changes, f"{spec.location}: the request applied events but no row changed"


def test_the_steps_changes_rebuild_the_final_state_from_the_schema_alone(project, domain, tmp_path):
    seeded = rows_of(schema_only(domain, tmp_path))  # rows the schema itself inserts (the root location)
    for spec in load_specs([project.specs_dir], domain.messages).specs[::7]:
        exploration = explore_spec(domain, spec, tmp_path / "state.db")
        rebuilt = replay([step.changes for step in exploration.steps])
        final = rows_of(tmp_path / "state.db")
        for table, rows in final.items():
            expected = {key: row for key, row in rows.items() if seeded[table].get(key) != row}
            assert {k: v for k, v in rebuilt.get(table, {}).items() if seeded[table].get(k) != v} == expected, \
                (spec.location, table)


def explore(project, *args, capsys):
    code = main(["--project", str(project.root), "explore", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_crashing_handler_is_reported_with_its_own_traceback_and_exit_3(small_project_copy):
    feature = small_project_copy.root / "domain" / "features" / "products" / "add.py"
    feature.write_text(feature.read_text().replace(
        "        uids.append(uid)\n", "        uids.append(uid)\n        raise ZeroDivisionError('the handler broke')\n"))
    finished = subprocess.run([sys.executable, "-m", "workbench.cli", "--project", str(small_project_copy.root),
                               "explore", "specs/products/add.spec#1"], capture_output=True, text=True, timeout=60)
    code, out, err = finished.returncode, finished.stdout, finished.stderr  # a fresh process runs the edited code
    assert code == 3, err
    assert out.startswith("ERROR add one product")
    assert "ZeroDivisionError: the handler broke" in out and "raise ZeroDivisionError" in out
    assert "wal mode" not in out + err
    assert out.index("ZeroDivisionError") < out.index("state: "), "the outcome first, then the state"
    assert "the state is the one before the step that crashed" in out


def test_a_failing_spec_says_so_with_its_differences_and_exit_1(small_project_copy, capsys):
    spec_file = small_project_copy.specs_dir / "products" / "add.spec"
    spec_file.write_text(spec_file.read_text().replace('ProductAdded uid:"00000000-0000-0000-0000-000000000001" sku:"cola"',
                                                       'ProductAdded uid:"00000000-0000-0000-0000-000000000001" sku:"coke"', 1))
    code, out, _ = explore(small_project_copy, "specs/products/add.spec#1", capsys=capsys)
    assert code == 1
    assert out.startswith("FAIL  add one product")
    assert 'Events[0].sku: expected "coke", got "cola"' in out
    assert out.index("differences:") < out.index("state: ")


def test_a_rejected_request_is_named_with_its_code_and_message(project, capsys):
    code, out, _ = explore(project, "specs/products/add.spec#2", "--steps", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("PASS  a duplicate sku rejects the whole batch")
    assert lines[1].strip() == ("the request was rejected: AlreadyExists (sku already exists: cola); "
                                "the state is the GIVEN events' state")
    assert "GIVEN 1  ProductAdded uid:\"UID(1)\" sku:\"cola\"" in out
    assert "    + uid=UID(1) sku=cola" in out
    assert "WHEN  AddProductsReq" in out and "  no row changed" in out


def test_the_state_is_kept_in_the_projects_ignored_cache_named_by_spec_id(small_project_copy, capsys):
    root = small_project_copy.root
    code, out, _ = explore(small_project_copy, "specs/products/add.spec#1", "--steps", capsys=capsys)
    assert code == 0
    files = explore_files(root, "specs/products/add.spec#1")
    assert files.state == root / ".bf" / "explore" / "specs-products-add-spec-1.db"
    assert f"state: {files.state}" in out
    assert (root / ".bf" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert stat.S_IMODE(os.stat(root / ".bf").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(files.state).st_mode) == 0o600
    assert sorted(p.name for p in files.steps.iterdir()) == ["when.db"]
    assert rows_of(files.state)["products"] == {("00000000-0000-0000-0000-000000000001",): (
        "00000000-0000-0000-0000-000000000001", "cola")}
    files.remove()
    assert not files.state.exists() and not files.steps.exists()


def test_json_gives_the_app_the_verdict_and_every_step(project, capsys):
    code, out, _ = explore(project, "specs/products/add.spec#2", "--json", "--steps", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and data["verdict"]["status"] == "pass" and data["rejected"] is True
    assert [step["name"] for step in data["steps"]] == ["given-1", "when"]
    assert data["steps"][0]["changes"][0]["table"] == "products"
    assert data["steps"][1]["answer"].startswith("rejected: AlreadyExists")
    assert all(os.path.exists(step["path"]) for step in data["steps"])
