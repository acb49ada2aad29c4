"""One registry: every request and event has exactly one feature."""

from pathlib import Path

import pytest

from domain.contracts.inventory_pb2 import AddProductsReq
from workbench.core.registry import Feature, Registry, RegistryError, discover


def test_every_kata_request_and_event_has_a_feature(domain):
    registry = domain.registry
    requests = {t.__name__ for t in registry.requests()}
    events = {t.__name__ for t in registry.events()}
    assert {"AddLocationsReq", "AddProductsReq", "ListLocationsReq", "MoveLocationReq", "UpdateInventoryReq",
            "GetLocInventoryReq", "ReserveReq", "FulfillReq"} <= requests
    assert {"LocationAdded", "LocationMoved", "ProductAdded", "InventoryUpdated", "Reserved", "Fulfilled",
            "Cancelled"} <= events
    assert registry.broken == []


def test_appliers_live_with_the_feature_that_emits_them(domain):
    feature_of = {t.__name__: f.module for t, f in domain.registry.feature_of.items()}
    assert feature_of["ProductAdded"] == feature_of["AddProductsReq"] == "domain.features.products.add"
    assert feature_of["Reserved"] == feature_of["ReserveReq"]


def test_two_features_claiming_one_request_is_an_error():
    one = Feature("a", Path("a.py"), handlers={AddProductsReq: print})
    two = Feature("b", Path("b.py"), handlers={AddProductsReq: print})
    with pytest.raises(RegistryError, match="AddProductsReq is claimed by both a.py and b.py"):
        Registry([one, two], [], {})


def test_a_second_feature_serving_a_request_breaks_that_request_only(tmp_path, monkeypatch):
    package = tmp_path / "twicefeatures"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = ("from domain.contracts.inventory_pb2 import AddProductsReq, ListLocationsReq\n"
              "HANDLERS = {AddProductsReq: print}\n")
    (package / "add.py").write_text(source)
    (package / "add_copy.py").write_text(source)
    (package / "other.py").write_text(source.replace("{AddProductsReq", "{ListLocationsReq"))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = discover("twicefeatures", "domain.contracts")  # no RegistryError: the rest of the domain loads
    assert AddProductsReq not in registry.handlers and len(registry.handlers) == 1
    (conflict,) = registry.broken
    assert conflict.error == f"AddProductsReq is claimed by both {package / 'add.py'} and {package / 'add_copy.py'}"
    assert conflict.error in registry.why_missing(AddProductsReq)


def test_a_broken_feature_module_is_reported_with_file_and_line(tmp_path, monkeypatch):
    package = tmp_path / "fakefeatures"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(
        "from domain.contracts.inventory_pb2 import AddProductsReq\nHANDLERS = {AddProductsReq: print}\n")
    (package / "bad.py").write_text("x = 1\ndef broken(:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = discover("fakefeatures", "domain.contracts")
    assert [f.module for f in registry.features] == ["fakefeatures.good"]
    (broken,) = registry.broken
    assert broken.error.startswith(f"{package / 'bad.py'}:2: SyntaxError")
    assert "bad.py:2: SyntaxError" in registry.why_missing(AddProductsReq)


def test_features_may_allow_longer_text_fields(domain):
    assert domain.registry.text_limits["bf.InstallScriptReq.source"] == 64 * 1024
