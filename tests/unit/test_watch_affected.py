"""The affected-spec map: which specs a change selects, and why, in milliseconds.

Records are what a worker would report: the blocks a spec's run executed,
with their fingerprints as run, and the message types it dispatched."""

from __future__ import annotations

import time

import pytest

from workbench.watch.affected import AffectedMap
from workbench.watch.blocks import MODULE, fingerprints

PRODUCTS_ADD = "domain/features/products/add.py"
STOCK_UPDATE = "domain/features/stock/update.py"
TOTALS = "domain/totals.py"


def executed(project, file: str, *blocks: str) -> dict[str, dict[str, str]]:
    prints = fingerprints((project.root / file).read_bytes())
    return {file: {b: prints[b] for b in (MODULE, *blocks)}}


@pytest.fixture
def affected(project_copy):
    affected = AffectedMap(project_copy)
    affected.record("specs/products/add.spec#1", executed(project_copy, PRODUCTS_ADD, "add_products"),
                    ["AddProductsReq", "ProductAdded"])
    affected.record("specs/stock/update.spec#3", {**executed(project_copy, STOCK_UPDATE, "update_inventory"),
                                                  **executed(project_copy, PRODUCTS_ADD, "product_added")},
                    ["ProductAdded", "UpdateInventoryReq"])
    return affected


def edit(project, file: str, old: str, new: str) -> None:
    path = project.root / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_spec_file_change_runs_that_whole_file(affected, project_copy):
    selection = affected.select([project_copy.root / "specs/locations/add.spec"])
    assert selection.specs == {}
    assert selection.files == {"specs/locations/add.spec": "its spec file changed: specs/locations/add.spec"}


def test_a_handler_edit_runs_only_the_specs_that_executed_it(affected, project_copy):
    edit(project_copy, PRODUCTS_ADD, "uids.append(uid)", "uids.append(sku)")
    selection = affected.select([project_copy.root / PRODUCTS_ADD])
    assert selection.specs == {"specs/products/add.spec#1": f"its run executed add_products in {PRODUCTS_ADD}, which changed"}
    assert selection.registry_check  # the run also compares who serves each message


def test_a_comment_or_blank_line_changes_no_block(affected, project_copy):
    edit(project_copy, PRODUCTS_ADD, "    uids = []\n", "    # a comment\n\n    uids = []\n")
    assert affected.select([project_copy.root / PRODUCTS_ADD]).specs == {}


def test_a_module_level_change_reruns_every_spec_that_executed_the_module(affected, project_copy):
    edit(project_copy, PRODUCTS_ADD, "def product_added(", "LIMIT = 3\n\n\ndef product_added(")
    assert set(affected.select([project_copy.root / PRODUCTS_ADD]).specs) == {
        "specs/products/add.spec#1", "specs/stock/update.spec#3"}


def test_a_shared_module_edit_runs_the_specs_that_executed_its_importers(affected, project_copy):
    edit(project_copy, TOTALS, "import sqlite3\n", "import sqlite3\nimport json\n")  # its module level
    selection = affected.select([project_copy.root / TOTALS])
    assert set(selection.specs) == {"specs/stock/update.spec#3"}
    assert selection.specs["specs/stock/update.spec#3"] == (
        f"its run executed {STOCK_UPDATE}, which imports domain.totals ({TOTALS} changed)")


def test_a_shared_module_that_no_longer_parses_and_its_mend(affected, project_copy):
    good = (project_copy.root / TOTALS).read_text()
    (project_copy.root / TOTALS).write_text(good + "\ndef broken(:\n")
    assert set(affected.select([project_copy.root / TOTALS]).specs) == {"specs/stock/update.spec#3"}
    (project_copy.root / TOTALS).write_text(good)
    mended = affected.select([project_copy.root / TOTALS])
    assert set(mended.specs) == {"specs/stock/update.spec#3"} and mended.registry_check


def test_schema_changes_run_everything_and_a_proto_checks_the_contracts(affected, project_copy):
    every_file = set(affected.everything("x").files)
    assert "specs/products/add.spec" in every_file
    schema = affected.select([project_copy.root / "domain/schema.sql"])
    assert set(schema.files) == every_file
    assert set(schema.files.values()) == {"the schema changed: domain/schema.sql"}
    proto = affected.select([project_copy.root / "domain/contracts/inventory.proto"])
    assert proto.check_contracts and not proto.files and not proto.specs


def test_a_framework_change_restarts_the_worker_parent_and_runs_everything(project_copy, project):
    affected = AffectedMap(project_copy, [project.root / "workbench"])
    selection = affected.select([project.root / "workbench/core/transaction.py"])
    assert selection.restart == "the framework changed: " + str(project.root / "workbench/core/transaction.py")
    assert set(selection.files) == set(affected.everything("x").files)


def test_a_spec_whose_run_ended_unreported_reruns_on_any_domain_change(affected, project_copy):
    affected.record("specs/reservations/reserve.spec#1", None, [])
    edit(project_copy, STOCK_UPDATE, "\n", "\n\n")
    selection = affected.select([project_copy.root / STOCK_UPDATE])
    assert selection.specs["specs/reservations/reserve.spec#1"].startswith("its last run ended before")


def test_a_forgotten_spec_is_no_longer_selected(affected, project_copy):
    affected.forget("specs/products/add.spec#1")
    edit(project_copy, PRODUCTS_ADD, "uids.append(uid)", "uids.append(sku)")
    assert "specs/products/add.spec#1" not in affected.select([project_copy.root / PRODUCTS_ADD]).specs


def test_merging_keeps_the_first_reason_and_the_last_save(affected, project_copy):
    first = affected.select([project_copy.root / "specs/products/add.spec"])
    second = affected.select([project_copy.root / "specs/locations/add.spec"])
    merged = first.merge(second)
    assert set(merged.files) == {"specs/products/add.spec", "specs/locations/add.spec"}
    assert merged.since == max(first.since, second.since)
    left = merged.without({"specs/products/add.spec#1"}, {"specs/products/add.spec": ["specs/products/add.spec#1",
                                                                                      "specs/products/add.spec#2"]})
    assert left.specs == {"specs/products/add.spec#2": "its spec file changed: specs/products/add.spec"}
    assert set(left.files) == {"specs/locations/add.spec"}


def test_before_any_spec_has_run_a_domain_change_runs_everything(project):
    selection = AffectedMap(project).select([project.root / PRODUCTS_ADD])
    assert selection.files == AffectedMap(project).everything(
        f"{PRODUCTS_ADD} changed and no spec has run yet to tell what it affects").files


def test_choosing_among_thousands_of_specs_takes_milliseconds(project_copy):
    affected = AffectedMap(project_copy)
    blocks = {**executed(project_copy, STOCK_UPDATE, "update_inventory"), **executed(project_copy, TOTALS)}
    for number in range(5000):
        affected.record(f"specs/stock/update.spec#{number}", blocks, ["UpdateInventoryReq"])
    edit(project_copy, TOTALS, "import sqlite3\n", "import sqlite3\nimport json\n")
    started = time.perf_counter()
    selection = affected.select([project_copy.root / TOTALS])
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert len(selection.specs) == 5000
    assert elapsed_ms < 50, f"selection took {elapsed_ms:.1f} ms"
