"""SpecService cannot be made to work without bound: any caller may send a spec."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, service_pb2, service_pb2_grpc
from domain.contracts.inventory_pb2 import LocationAdded
from domain.contracts.scripts_pb2 import ScriptInstalled
from tests.unit.hostile_scripts import HOSTILE_SCRIPTS
from tests.unit.test_scripts_hostile import RESERVE_ONE, STOCKED
from workbench.core import ROOT, Code
from workbench.core.ids import spec_uid
from workbench.service import spec_runs
from workbench.service.codec import pack
from workbench.service.server import Server
from workbench.service.spec_runs import BoundedSpecRuns


@pytest.fixture
def server(domain, tmp_path, socket_dir):
    running = Server(domain, tmp_path / "data", f"unix:{socket_dir / 's.sock'}", workers=2)
    running.start()
    try:
        yield running
    finally:
        running.stop(grace=0)


@pytest.fixture
def calls(server):
    with grpc.insecure_channel(server.address) as channel:
        spec = channel.unary_unary("/protos.SpecService/Spec", request_serializer=inv.SpecRequest.SerializeToString,
                                   response_deserializer=inv.SpecResponse.FromString)
        about = channel.unary_unary("/protos.SpecService/About", request_serializer=inv.AboutRequest.SerializeToString,
                                    response_deserializer=inv.AboutResponse.FromString)
        yield spec, about


def spec_request(given, when=RESERVE_ONE, next_uid=3):
    return inv.SpecRequest(given=[pack(event) for event in given], when=pack(when), NextUid=spec_uid(next_uid))


def chain(depth: int) -> list:
    """`depth` locations, each inside the one before: the ancestry closure grows with depth squared."""
    return [LocationAdded(uid=spec_uid(n), name=f"level {n}", parent=spec_uid(n - 1) if n > 1 else ROOT)
            for n in range(1, depth + 1)]


def failure(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(request, timeout=30)
    return raised.value


def test_given_is_bounded_in_events_and_bytes(calls):
    spec, _ = calls
    too_many = failure(spec, spec_request(chain(spec_runs.MAX_GIVEN_EVENTS + 1)))
    assert (too_many.code(), too_many.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "'given' has 1,001 events; at most 1,000")
    big = [ScriptInstalled(hook="reserve", source="--" + "x" * 60_000, version=n) for n in range(1, 20)]
    too_big = failure(spec, spec_request(big))
    assert too_big.code() == grpc.StatusCode.INVALID_ARGUMENT and "at most 1,024 KiB" in too_big.details()


def test_a_spec_past_its_time_limit_fails_and_the_next_one_runs(calls, monkeypatch):
    monkeypatch.setattr(spec_runs, "SPEC_SECONDS", 0.1)
    spec, _ = calls
    started = time.perf_counter()
    late = failure(spec, spec_request(chain(1000)))  # half a million ancestry rows: seconds of work
    assert late.code() == grpc.StatusCode.DEADLINE_EXCEEDED, late.details()
    assert time.perf_counter() - started < 1.0
    assert spec(spec_request(STOCKED), timeout=10).status == int(Code.OK)


def test_a_spec_whose_state_grows_too_big_fails_and_the_next_one_runs(domain, server, calls, monkeypatch):
    monkeypatch.setattr(spec_runs, "SPEC_STATE_BYTES", 1024 * 1024)
    server.spec_service.runs = BoundedSpecRuns(domain)  # new sandboxes, made with the smaller cap
    spec, _ = calls
    full = failure(spec, spec_request(chain(1000)))
    assert full.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "grew past 1 MiB" in full.details()
    assert spec(spec_request(STOCKED), timeout=10).status == int(Code.OK)


def test_specs_never_starve_about_or_list_tenants(server, calls):
    spec, about = calls
    channel = grpc.insecure_channel(server.address)
    list_tenants = service_pb2_grpc.TenantServiceStub(channel).ListTenants
    slow = spec_request([*STOCKED, ScriptInstalled(hook="reserve", source=HOSTILE_SCRIPTS["comparing two 4 MB strings"][0],
                                                   version=1)])
    senders = [threading.Thread(target=lambda: [spec(slow, timeout=30) for _ in range(2)]) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        time.sleep(0.2)
        slowest = 0.0
        for _ in range(10):
            started = time.perf_counter()
            about(inv.AboutRequest(), timeout=10)
            list_tenants(service_pb2.ListTenantsReq(), timeout=10)
            slowest = max(slowest, time.perf_counter() - started)
    finally:
        for sender in senders:
            sender.join()
        channel.close()
    assert slowest < 0.5


def test_more_specs_than_it_admits_are_turned_away(domain, server, calls):
    server.spec_service.runs = BoundedSpecRuns(domain, threads=1, waiting=0)
    spec, _ = calls
    slow = spec_request([*STOCKED, ScriptInstalled(hook="reserve", source=HOSTILE_SCRIPTS["comparing two 4 MB strings"][0],
                                                   version=1)])
    first = spec.future(slow, timeout=10)
    time.sleep(0.05)
    busy = failure(spec, slow)
    assert busy.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "SpecService is busy" in busy.details()
    assert first.result().status == int(Code.RESOURCE_EXHAUSTED)
