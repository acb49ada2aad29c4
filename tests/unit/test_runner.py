"""The runner: isolation between specs, crashes as one spec's error, touched features."""

from pathlib import Path

from domain.contracts.inventory_pb2 import AddProductsReq, GetLocInventoryReq, ListLocationsReq, ProductAdded
from workbench.core.domain import Domain
from workbench.core.registry import Feature, Registry
from workbench.specs.parser import parse_spec_file, parse_specs
from workbench.specs.runner import ERROR, FAIL, PASS, run_spec, run_specs
from workbench.specs.sandbox import SpecSandbox

UID = "00000000-0000-0000-0000-{:012x}".format

TWO_SPECS = """\
adds stock
------------------------------------------
GIVEN:
  LocationAdded uid:"00000000-0000-0000-0000-000000000001" name:"Shelf" parent:"00000000-0000-0000-0000-000000000000"
  ProductAdded uid:"00000000-0000-0000-0000-000000000002" sku:"cola"
WHEN:
  UpdateInventoryReq location:"00000000-0000-0000-0000-000000000001" product:"00000000-0000-0000-0000-000000000002" OnHandChange:5
THEN:
  UpdateInventoryResp OnHand:5
EVENTS:
  InventoryUpdated location:"00000000-0000-0000-0000-000000000001" product:"00000000-0000-0000-0000-000000000002" OnHandChange:5 OnHand:5
==========================================
nothing from the previous spec is left
------------------------------------------
GIVEN:
WHEN:
  GetLocInventoryReq location:"00000000-0000-0000-0000-000000000000"
THEN:
  GetLocInventoryResp
"""


def table_counts(db):
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def test_specs_are_isolated(domain):
    sandbox = SpecSandbox(domain)
    before = table_counts(sandbox.db)
    specs = parse_specs(TWO_SPECS, domain.messages).specs
    verdicts = list(run_specs(specs, sandbox, domain.registry))
    assert [v.status for v in verdicts] == [PASS, PASS]
    assert table_counts(sandbox.db) == before


def test_rejected_request_leaves_nothing_behind_even_in_a_kept_state(domain, tmp_path):
    sandbox = SpecSandbox(domain, tmp_path / "state.sqlite")
    outcome = sandbox.run([ProductAdded(uid=UID(1), sku="a")], AddProductsReq(skus=["b", "a"]), 2, keep=True)
    assert outcome.code.spec_name == "AlreadyExists"
    skus = [sku for (sku,) in sandbox.db.execute("SELECT sku FROM products")]
    assert skus == ["a"]  # the given event stays, "b" (applied before the rejection) does not


def crashing_handler(tx, request):
    tx.apply(ProductAdded(uid=tx.new_id(), sku="x"))
    raise ZeroDivisionError("the handler is broken")


def test_a_crashing_handler_is_one_specs_error_and_the_run_goes_on(domain):
    features = [
        Feature("crash", Path("crash.py"), handlers={ListLocationsReq: crashing_handler}),
        *domain.registry.features,
    ]
    features[1:] = [f for f in features[1:] if ListLocationsReq not in f.handlers]
    registry = Registry(features, [], domain.messages)
    broken_domain = Domain(domain.project, registry, domain.schema_sql)
    sandbox = SpecSandbox(broken_domain)
    text = TWO_SPECS.replace("GetLocInventoryReq location", "ListLocationsReq location").replace(
        "GetLocInventoryResp", "ListLocationsResp")
    specs = parse_specs(text, domain.messages).specs
    first, second = list(run_specs(reversed(specs), sandbox, registry))
    assert first.status == ERROR
    assert "ZeroDivisionError: the handler is broken" in first.error
    assert "crashing_handler" in first.error
    assert second.status == PASS
    assert table_counts(sandbox.db)["products"] == 0


def test_touched_features_are_recorded(domain):
    spec = parse_specs(TWO_SPECS, domain.messages).specs[0]
    verdict = run_spec(spec, SpecSandbox(domain), domain.registry)
    assert verdict.touched == {
        "domain.features.locations.add", "domain.features.products.add", "domain.features.stock.update",
    }


def test_a_wrong_expectation_fails_with_differences(domain):
    text = TWO_SPECS.split("=====")[0].replace("OnHand:5\nEVENTS", "OnHand:6\nEVENTS")
    verdict = run_spec(parse_specs(text, domain.messages).specs[0], SpecSandbox(domain), domain.registry)
    assert verdict.status == FAIL
    assert [str(d) for d in verdict.differences] == ["Response.OnHand: expected 6, got 5"]


def test_the_whole_kata_bundle_passes(domain, kata_bundle):
    specs = parse_spec_file(kata_bundle, domain.messages).specs
    verdicts = list(run_specs(specs, SpecSandbox(domain), domain.registry))
    failures = [(v.spec.name, [str(d) for d in v.differences], v.error) for v in verdicts if not v.passed]
    assert failures == []
    assert len(verdicts) == 55
