"""The affected-spec map: which specs a change selects, and why, in milliseconds."""

from __future__ import annotations

import time

import pytest

from workbench.watch.affected import AffectedMap

PRODUCTS_ADD = "domain.features.products.add"
STOCK_UPDATE = "domain.features.stock.update"
LOCATIONS_ADD = "domain.features.locations.add"


@pytest.fixture
def affected(project):
    affected = AffectedMap(project)
    affected.record("specs/products/add.spec#1", frozenset({PRODUCTS_ADD}), unserved=False)
    affected.record("specs/stock/update.spec#3", frozenset({STOCK_UPDATE, PRODUCTS_ADD, LOCATIONS_ADD}), unserved=False)
    affected.record("specs/locations/add.spec#1", frozenset({LOCATIONS_ADD}), unserved=False)
    return affected


def test_a_spec_file_change_runs_that_whole_file(affected, project):
    selection = affected.select([project.root / "specs/locations/add.spec"])
    assert selection.specs == {}
    assert selection.files == {"specs/locations/add.spec": "its spec file changed: specs/locations/add.spec"}


def test_a_feature_change_runs_the_specs_that_touched_it_and_its_mirror(affected, project):
    selection = affected.select([project.root / "domain/features/products/add.py"])
    assert set(selection.specs) == {"specs/products/add.spec#1", "specs/stock/update.spec#3"}
    assert selection.specs["specs/products/add.spec#1"] == (
        "its run touched domain.features.products.add (domain/features/products/add.py changed)")
    assert selection.files == {"specs/products/add.spec": "its spec file mirrors domain/features/products/add.py"}


def test_a_shared_module_change_runs_the_specs_of_the_features_importing_it(affected, project):
    selection = affected.select([project.root / "domain/totals.py"])
    assert "specs/stock/update.spec#3" in selection.specs
    assert "which imports domain.totals" in selection.specs["specs/stock/update.spec#3"]
    assert "specs/products/add.spec#1" not in selection.specs  # products/add.py does not import totals


def test_schema_and_contract_changes_run_everything(affected, project):
    every_file = set(affected.everything("x").files)
    assert "specs/products/add.spec" in every_file
    for changed, reason in [("domain/schema.sql", "the schema changed: domain/schema.sql"),
                            ("domain/contracts/inventory.proto", "the contracts changed: domain/contracts/inventory.proto")]:
        selection = affected.select([project.root / changed])
        assert set(selection.files) == every_file
        assert set(selection.files.values()) == {reason}


def test_a_module_no_feature_imports_runs_everything(affected, project):
    selection = affected.select([project.root / "domain/__init__.py"])
    assert set(selection.files) == set(affected.everything("x").files)
    assert "no feature imports it" in next(iter(selection.files.values()))


def test_a_spec_that_found_no_handler_reruns_on_any_feature_change(affected, project):
    affected.record("specs/reservations/reserve.spec#1", frozenset(), unserved=True)
    selection = affected.select([project.root / "domain/features/locations/add.py"])
    assert selection.specs["specs/reservations/reserve.spec#1"].startswith("it needed a handler or applier")
    assert "specs/products/add.spec#1" not in selection.specs


def test_a_forgotten_spec_is_no_longer_selected(affected, project):
    affected.forget("specs/products/add.spec#1")
    assert "specs/products/add.spec#1" not in affected.select([project.root / "domain/features/products/add.py"]).specs


def test_merging_keeps_the_first_reason_and_the_earliest_save(affected, project):
    first = affected.select([project.root / "domain/features/products/add.py"])
    second = affected.select([project.root / "domain/features/locations/add.py"])
    merged = first.merge(second)
    assert merged.specs["specs/stock/update.spec#3"] == first.specs["specs/stock/update.spec#3"]
    assert "specs/locations/add.spec#1" in merged.specs
    assert merged.since == min(first.since, second.since)
    assert "specs/locations/add.spec#1" not in merged.without({"specs/locations/add.spec#1"}).specs


def test_before_any_spec_has_run_a_domain_change_runs_everything(project):
    selection = AffectedMap(project).select([project.root / "domain/features/products/add.py"])
    assert selection.files == AffectedMap(project).everything(
        "domain/features/products/add.py changed and no spec has run yet to tell what it affects").files


def test_choosing_among_thousands_of_specs_takes_milliseconds(project):
    affected = AffectedMap(project)
    for number in range(5000):
        affected.record(f"specs/stock/update.spec#{number}", frozenset({STOCK_UPDATE, PRODUCTS_ADD}), unserved=False)
    started = time.perf_counter()
    selection = affected.select([project.root / "domain/totals.py"])
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert len(selection.specs) == 5000
    assert elapsed_ms < 50, f"selection took {elapsed_ms:.1f} ms"
