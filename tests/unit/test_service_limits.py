"""Request limits: every text and list is bounded, small requests cheaply."""

import pytest

from domain.contracts.inventory_pb2 import AddProductsReq, ReserveReq
from workbench.service.limits import MAX_ITEMS, MAX_TEXT, check_limits
from workbench.service.rpc import ServiceError


def refusal(message, allowances=None) -> str:
    with pytest.raises(ServiceError) as refused:
        check_limits(message, allowances)
    return refused.value.message


def test_text_and_lists_are_bounded_and_named_when_too_long():
    check_limits(AddProductsReq(skus=["x" * MAX_TEXT]))
    assert refusal(AddProductsReq(skus=["ok", "x" * (MAX_TEXT + 1)])).startswith("'skus[1]' is 1025 characters long")
    assert "'items[0].sku'" in refusal(ReserveReq(items=[ReserveReq.Item(sku="y" * (MAX_TEXT + 1))]))
    assert refusal(AddProductsReq(skus=[""] * (MAX_ITEMS + 1))) == f"'skus' has {MAX_ITEMS + 1} items; at most {MAX_ITEMS}"


def test_an_allowance_lets_one_field_be_longer_and_a_smaller_one_is_kept_too():
    long_sku = AddProductsReq(skus=["x" * 2000])
    check_limits(long_sku, {"protos.AddProductsReq.skus": 4096})
    assert "at most 4096" in refusal(AddProductsReq(skus=["x" * 4097]), {"protos.AddProductsReq.skus": 4096})
    assert "at most 10" in refusal(AddProductsReq(skus=["x" * 11]), {"protos.AddProductsReq.skus": 10})
