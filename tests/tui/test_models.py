"""What the screens show, computed without Textual: the spec index, diff rows, the catalogue."""

from __future__ import annotations

from workbench.core.codes import Code
from workbench.specs.compare import compare
from workbench.specs.report import outcome_json
from workbench.specs.sandbox import SpecSandbox
from workbench.tui.catalogue import EVENT, REQUEST, RESPONSE, build_catalogue
from workbench.tui.diff_rows import CHANGED, MISSING, SAME, diff_rows
from workbench.tui.spec_index import NOT_RUN, SpecIndex


def index_of(shop, domain) -> SpecIndex:
    index = SpecIndex(shop.root, shop.specs_dir, domain.messages)
    index.load()
    return index


def rows_for(index, domain, spec_id, with_actual=True):
    spec = index.entry(spec_id).spec
    outcome = SpecSandbox(domain).run(spec.given, spec.when, spec.next_uid)
    return diff_rows(spec, compare(spec, outcome), outcome_json(outcome) if with_actual else None)


def test_the_index_groups_by_area_and_file_and_searches_values(shop, domain):
    index = index_of(shop, domain)
    grouped = index.grouped(index.entries())
    assert list(grouped) == ["locations", "products"]
    assert list(grouped["products"]) == ["specs/products/add.spec"]
    assert [e.spec_id for e in index.matching('"sprite"')] == ["specs/products/add.spec#2"]
    assert [e.spec_id for e in index.matching("alreadyexists")] == ["specs/products/add.spec#4"]
    assert index.status("specs/products/add.spec#1") == NOT_RUN
    index.verdicts["specs/products/add.spec#1"] = {"status": "pass"}
    assert index.counts(index.entries())["pass"] == 1


def test_a_malformed_file_keeps_its_specs_and_says_where_it_broke(shop, domain):
    index = index_of(shop, domain)
    path = shop.specs_dir / "products" / "add.spec"
    path.write_text(path.read_text().replace("AddProductsReq skus", "AddProductsRq skus", 1))
    assert index.reload_file(path), "the tree must show the file's error"
    entry = index.files["specs/products/add.spec"]
    assert entry.error.startswith("specs/products/add.spec:10: ") and "AddProductsReq" in entry.error, "named from the root"
    assert len(entry.specs) == 4


def test_diff_rows_mark_changed_fields_missing_events_and_status(shop, domain):
    index = index_of(shop, domain)
    status, response, first, second = rows_for(index, domain, "specs/products/add.spec#2")
    assert (status.state, response.state, first.state) == (SAME, SAME, SAME)
    assert second.state == CHANGED and second.fields == {"sku"}
    assert 'sku:"sprite"' in second.expected and 'sku:"fanta"' in second.actual
    missing = rows_for(index, domain, "specs/products/add.spec#3")[-1]
    assert missing.state == MISSING and missing.label == "Event 2"
    status, response = rows_for(index, domain, "specs/locations/add.spec#2")
    assert status.state == CHANGED and status.expected == Code.OK.spec_name
    assert status.actual == "NotFound (location not found: UID(9))"
    assert response.state == MISSING and response.actual == "nothing (rejected)"


def test_the_catalogue_lists_every_message_with_fields_feature_and_specs(shop, domain):
    index = index_of(shop, domain)
    catalogue = {info.name: info for info in build_catalogue(domain.registry, index.entries())}
    assert len(catalogue) == len(domain.registry.messages)
    request = catalogue["AddProductsReq"]
    assert request.kind == REQUEST and request.feature == "domain.features.products.add"
    assert [str(f) for f in request.fields] == ["skus: repeated string"]
    assert len(request.spec_ids) == 4
    assert catalogue["ProductAdded"].kind == EVENT and catalogue["AddProductsResp"].kind == RESPONSE
    assert "locs: repeated Loc" in [str(f) for f in catalogue["AddLocationsReq"].fields]


def test_the_actual_column_is_what_the_request_produced_even_in_a_repeated_field(domain):
    from domain.contracts.inventory_pb2 import AddProductsReq, AddProductsResp, ProductAdded
    from workbench.core.ids import spec_uid
    from workbench.specs.model import Spec
    spec = Spec("s", [], AddProductsReq(skus=["a"]), then=AddProductsResp(uids=[spec_uid(2)]),
                events=[ProductAdded(uid=spec_uid(1), sku="a")])
    outcome = SpecSandbox(domain).run(spec.given, spec.when, spec.next_uid)
    response = diff_rows(spec, compare(spec, outcome), outcome_json(outcome))[1]
    assert response.state == CHANGED
    assert (response.expected, response.actual) == ('AddProductsResp uids:"UID(2)"', 'AddProductsResp uids:"UID(1)"')
    without = diff_rows(spec, compare(spec, outcome))[1]
    assert without.actual == without.expected  # the text alone cannot say a repeated field's value: hence "actual"


def test_infrastructure_messages_are_listed_apart_not_as_domain_gaps(shop, domain):
    from workbench.tui.catalogue import INFRA

    catalogue = {info.name: info for info in build_catalogue(domain.registry, index_of(shop, domain).entries())}
    infra = {name for name, info in catalogue.items() if info.kind == INFRA}
    assert {"AdoptResp", "CompactResp", "SpecResponse", "SpecRequest", "LoggedEvent"} <= infra
    assert not infra & {"AddProductsReq", "AddProductsResp", "ProductAdded", "ReserveReq", "ReserveResp"}
    kinds = [info.kind for info in catalogue.values()]
    assert kinds[kinds.index(INFRA):] == [INFRA] * len(infra), "listed last"
