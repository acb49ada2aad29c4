"""Differences are paths with expected and actual values."""

from domain.contracts.inventory_pb2 import (
    AddLocationsResp, GetLocInventoryResp, InventoryUpdated, ProductAdded,
)
from workbench.core.codes import Code
from workbench.core.execute import Outcome
from workbench.specs.compare import compare
from workbench.specs.model import ExpectedError, Spec

UID = "00000000-0000-0000-0000-{:012x}".format


def spec(**kwargs) -> Spec:
    return Spec(name="s", given=[], when=None, **kwargs)


def texts(differences):
    return [str(d) for d in differences]


def test_event_field_difference_names_the_path():
    expected = [InventoryUpdated(location=UID(1), OnHandChange=5, OnHand=5), InventoryUpdated(location=UID(1), OnHand=5)]
    actual = [InventoryUpdated(location=UID(1), OnHandChange=5, OnHand=5), InventoryUpdated(location=UID(1), OnHand=4)]
    result = compare(spec(then=GetLocInventoryResp(), events=expected), Outcome(GetLocInventoryResp(), actual))
    assert texts(result) == ["Events[1].OnHand: expected 5, got 4"]


def test_missing_and_extra_events_are_listed():
    expected = [ProductAdded(uid=UID(1), sku="a"), ProductAdded(uid=UID(2), sku="b")]
    result = compare(spec(then=GetLocInventoryResp(), events=expected), Outcome(GetLocInventoryResp(), expected[:1]))
    assert texts(result) == ['Events[1]: expected ProductAdded uid:"UID(2)" sku:"b", got nothing (missing)']
    result = compare(spec(then=GetLocInventoryResp(), events=[]), Outcome(GetLocInventoryResp(), expected[:1]))
    assert texts(result) == ['Events[0]: expected nothing (extra), got ProductAdded uid:"UID(1)" sku:"a"']


def test_nested_response_paths_and_ids_as_uid():
    want = AddLocationsResp(locs=[AddLocationsResp.Loc(name="A", uid=UID(1), locs=[AddLocationsResp.Loc(name="B", uid=UID(2))])])
    got = AddLocationsResp(locs=[AddLocationsResp.Loc(name="A", uid=UID(1), locs=[AddLocationsResp.Loc(name="B", uid=UID(7))])])
    result = compare(spec(then=want), Outcome(got))
    assert texts(result) == ['Response.locs[0].locs[0].uid: expected "UID(2)", got "UID(7)"']


def test_a_stated_error_message_is_checked_and_a_bundle_s_is_not():
    expected = spec(error=ExpectedError(Code.NOT_FOUND, "some text"))
    assert texts(compare(expected, Outcome(None, [], Code.NOT_FOUND, "other text"))) == [
        'Status.message: expected "some text", got "other text"']
    assert compare(expected, Outcome(None, [], Code.NOT_FOUND, "some text")) == []
    bundle = spec(error=ExpectedError(Code.NOT_FOUND, "some text", checked=False))  # the kata compares codes only
    assert compare(bundle, Outcome(None, [], Code.NOT_FOUND, "other text")) == []
    assert compare(spec(error=ExpectedError(Code.NOT_FOUND)), Outcome(None, [], Code.NOT_FOUND, "any")) == []
    result = compare(expected, Outcome(GetLocInventoryResp()))
    assert texts(result) == ["Status: expected NotFound, got OK"]
    result = compare(spec(then=GetLocInventoryResp()), Outcome(None, [], Code.FAILED_PRECONDITION, "not enough"))
    assert texts(result) == ["Status: expected OK, got FailedPrecondition (not enough)"]


def test_wrong_response_type_shows_both_messages():
    result = compare(spec(then=GetLocInventoryResp()), Outcome(AddLocationsResp()))
    assert texts(result) == ["Response: expected GetLocInventoryResp, got AddLocationsResp"]


def test_repeated_scalars_differ_by_index():
    from domain.contracts.inventory_pb2 import AddProductsResp
    result = compare(spec(then=AddProductsResp(uids=[UID(1), UID(2)])), Outcome(AddProductsResp(uids=[UID(1)])))
    assert texts(result) == ['Response.uids[1]: expected "UID(2)", got nothing (missing)']
