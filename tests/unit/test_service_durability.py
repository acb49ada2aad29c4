"""`kill -9` during writes loses no acknowledged event, and state rebuilt from the log equals the live state.

`bf serve` runs as a real subprocess on a unix socket. Writers add locations
and count stock up on their own shelf; the server is killed while they write,
restarted, and killed again. Then every acknowledged answer is checked against
what the restarted server says, and the state file is deleted and rebuilt.
"""

import threading
from dataclasses import dataclass, field

import grpc

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc
from tests.serve_process import ServeProcess
from tests.state_files import state_rows

KILLS = 4
WRITERS = 4
ACKS_BEFORE_KILL = 24  # per round, across writers: the kill lands while they write


@dataclass
class Writer:
    number: int
    shelf: str
    product: str
    locations: dict[str, str] = field(default_factory=dict)  # acknowledged: name -> uid
    maybe_location: str | None = None  # its last call failed: committed or not, nobody knows
    on_hand: int = 0  # the last acknowledged OnHand
    maybe_update: bool = False

    def write(self, stub, round_number: int, acks: threading.Semaphore) -> None:
        for i in range(10_000):
            name = f"r{round_number}-w{self.number}-{i}"
            try:
                reply = stub.AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name=name)]))
            except grpc.RpcError:
                self.maybe_location = name
                return
            self.locations[name] = reply.locs[0].uid
            acks.release()
            try:
                self.on_hand = stub.UpdateInventory(
                    inv.UpdateInventoryReq(location=self.shelf, product=self.product, OnHandChange=1)).OnHand
            except grpc.RpcError:
                self.maybe_update = True
                return
            acks.release()



def check_every_acknowledged_result(stub, writers: list[Writer]) -> None:
    """Compare with what the server says now; a call whose fate was unknown is settled by it."""
    listed = {loc.name: loc.uid for loc in stub.ListLocations(inv.ListLocationsReq()).locs}
    acknowledged = {name: uid for w in writers for name, uid in w.locations.items()}
    shelves = {f"shelf-{w.number}" for w in writers}
    maybe = {w.maybe_location for w in writers}
    assert {name: listed.get(name) for name in acknowledged} == acknowledged
    assert set(listed) - set(acknowledged) - shelves <= maybe
    for w in writers:
        on_hand = {i.Product: i.OnHand for i in stub.GetLocInventory(inv.GetLocInventoryReq(location=w.shelf)).items}
        counted = on_hand.get(w.product, 0)
        assert counted in ({w.on_hand, w.on_hand + 1} if w.maybe_update else {w.on_hand})
        if w.maybe_location in listed:
            w.locations[w.maybe_location] = listed[w.maybe_location]
        w.on_hand, w.maybe_location, w.maybe_update = counted, None, False


def test_kill_9_during_writes_loses_no_acknowledged_event_and_rebuilds_identical_state(tmp_path):
    data = tmp_path / "data"
    with ServeProcess(data) as server, server.channel() as channel:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        product = stub.AddProducts(inv.AddProductsReq(skus=["counted"])).uids[0]
        shelves = stub.AddLocations(inv.AddLocationsReq(
            locs=[inv.AddLocationsReq.Loc(name=f"shelf-{n}") for n in range(WRITERS)])).locs
        writers = [Writer(n, shelves[n].uid, product) for n in range(WRITERS)]
        server.kill9()

    for round_number in range(KILLS):
        with ServeProcess(data) as server, server.channel() as channel:
            stub = inventory_pb2_grpc.InventoryServiceStub(channel)
            check_every_acknowledged_result(stub, writers)
            acks = threading.Semaphore(0)
            threads = [threading.Thread(target=w.write, args=(stub, round_number, acks)) for w in writers]
            for thread in threads:
                thread.start()
            for _ in range(ACKS_BEFORE_KILL):
                assert acks.acquire(timeout=30), server.stderr()
            server.kill9()
            for thread in threads:
                thread.join(30)

    with ServeProcess(data) as server, server.channel() as channel:
        check_every_acknowledged_result(inventory_pb2_grpc.InventoryServiceStub(channel), writers)
        code, out = server.stop()
        assert code == 0 and "stopped" in out
    assert sum(len(w.locations) for w in writers) >= KILLS * ACKS_BEFORE_KILL // 2

    state = data / "tenants" / "default" / "state.db"
    live = state_rows(state)
    for path in (state, state.with_name("state.db-wal"), state.with_name("state.db-shm")):
        path.unlink(missing_ok=True)
    with ServeProcess(data) as server, server.channel() as channel:
        check_every_acknowledged_result(inventory_pb2_grpc.InventoryServiceStub(channel), writers)
        server.stop()
    assert state_rows(state) == live
