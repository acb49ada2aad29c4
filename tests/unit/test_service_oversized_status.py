"""Statuses that would not fit gRPC's metadata (issue 12, finding 8): a script's long
reject text is cut to fit, saying so, instead of becoming RESOURCE_EXHAUSTED; a huge
`x-tenant` is INVALID_ARGUMENT every time, never RESOURCE_EXHAUSTED now and then."""

from __future__ import annotations

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc, scripts_pb2, scripts_pb2_grpc
from tests.unit.test_scripts_service import channel  # noqa: F401 - a real server on a unix socket, and its channel
from workbench.service.rpc import MAX_STATUS_BYTES, fitting_status


def failure(call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    return raised.value


@pytest.mark.parametrize("letter", ["x", "é", "%", "\u2603"])
def test_a_16_kib_reject_text_comes_back_cut_with_its_status_and_a_note(channel, letter):
    scripts = scripts_pb2_grpc.BfCustomisationServiceStub(channel)
    scripts.InstallScript(scripts_pb2.InstallScriptReq(
        hook="reserve", source=f"return {{reject = string.rep('{letter}', 16384)}}"))
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    shelf = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name="shelf")])).locs[0].uid
    mug = stub.AddProducts(inv.AddProductsReq(skus=["mug"])).uids[0]
    stub.UpdateInventory(inv.UpdateInventoryReq(location=shelf, product=mug, OnHandChange=10))
    error = failure(stub.Reserve, inv.ReserveReq(reservation="r1", items=[inv.ReserveReq.Item(sku="mug", quantity=1)]))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
    details = error.details()
    assert details.startswith(f"reserve script rejected the request: {letter * 20}")
    assert "[cut: " in details and "characters in all]" in details
    assert len(details.encode()) < 2 * MAX_STATUS_BYTES


def test_a_10000_character_tenant_is_invalid_argument_every_time(channel):
    stub = inventory_pb2_grpc.InventoryServiceStub(channel)
    codes = set()
    for attempt in range(40):
        name = chr(ord("a") + attempt % 26) * 10_000
        error = failure(stub.ListLocations, inv.ListLocationsReq(), metadata=[("x-tenant", name)])
        codes.add(error.code())
        assert "bad tenant name" in error.details()
    assert codes == {grpc.StatusCode.INVALID_ARGUMENT}


def test_a_short_status_is_left_alone_and_a_long_one_fits_encoded():
    assert fitting_status("nothing to cut") == "nothing to cut"
    for text in ["a" * 100_000, "é" * 100_000, "%" * 50_000, "\U0001F600" * 9_000, "ok " + "\n" * 10_000]:
        cut = fitting_status(text)
        assert len(_percent_encoded(cut)) <= MAX_STATUS_BYTES
        assert cut.startswith(text[:10]) and cut.endswith(f"[cut: {len(text):,} characters in all]")


def _percent_encoded(text: str) -> bytes:
    """gRPC's encoding of grpc-message: printable ASCII but '%' stays, every other byte is %XX."""
    return b"".join(bytes([b]) if 0x20 <= b <= 0x7E and b != 0x25 else f"%{b:02X}".encode() for b in text.encode())
