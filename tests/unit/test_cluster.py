"""Cluster mode with real NATS servers and real `bf serve --cluster` processes.

One local cluster (3 NATS servers forming JetStream, 2 bf nodes, leases of
1.5 s) is shared by the module; each test uses tenants of its own.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import grpc
import pytest

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc
from domain.contracts.service_pb2 import CreateTenantReq, CreateTenantResp
from tests.conftest import ROOT

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from nats.js.errors import NotFoundError  # noqa: E402

from workbench.cluster.audit import log_groups, replayed_fingerprint, writers_overlap  # noqa: E402
from workbench.cluster.leases import Leases, Owner  # noqa: E402
from workbench.cluster.link import ClusterUnavailable, NatsLink  # noqa: E402
from workbench.cluster.local import LocalCluster  # noqa: E402
from workbench.cluster.replicated_log import LogFenced, ReplicatedLog  # noqa: E402
from workbench.service.forwarding import owner_of  # noqa: E402
from workbench.service.rpc import TENANT_METADATA  # noqa: E402

LEASE_SECONDS = 1.5


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    local = LocalCluster(tmp_path_factory.mktemp("cluster"), ROOT, nodes=2, lease_seconds=LEASE_SECONDS).start()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def link(cluster):
    link = NatsLink(cluster.nats.urls, name="bf-test")
    yield link
    link.close()


JETSTREAM_RETRY_SECONDS = 10.0


def create_tenant(address: str, name: str) -> None:
    with grpc.insecure_channel(address) as channel:
        create = channel.unary_unary("/bf.TenantService/CreateTenant", CreateTenantReq.SerializeToString,
                                     CreateTenantResp.FromString)
        assert create(CreateTenantReq(name=name)).created


def stub(address: str) -> inventory_pb2_grpc.InventoryServiceStub:
    return inventory_pb2_grpc.InventoryServiceStub(grpc.insecure_channel(address))


def add_location(address: str, tenant: str, name: str) -> str:
    """Retried while no JetStream server answers at all (NoResponders: briefly, as a stream elects its
    leader), as every cluster client retries UNAVAILABLE; nothing reached JetStream, so nothing was
    appended. Any other refusal raises."""
    deadline = time.monotonic() + JETSTREAM_RETRY_SECONDS
    while True:
        try:
            reply = stub(address).AddLocations(inv.AddLocationsReq(locs=[inv.AddLocationsReq.Loc(name=name)]),
                                               metadata=[(TENANT_METADATA, tenant)], timeout=10)
            return reply.locs[0].uid
        except grpc.RpcError as error:
            transient = error.code() == grpc.StatusCode.UNAVAILABLE and (error.details() or "").startswith(
                "JetStream unavailable: NoRespondersError")
            if not transient or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def listed(address: str, tenant: str) -> dict[str, str]:
    reply = stub(address).ListLocations(inv.ListLocationsReq(), metadata=[(TENANT_METADATA, tenant)], timeout=10)
    return {loc.name: loc.uid for loc in reply.locs}


def test_a_log_whose_view_is_stale_cannot_append(link, tmp_path):
    """Fencing by the log itself: node A appends, node B catches up and appends; A, which
    still believes it may write (its lease check passes), is refused and appends nothing."""
    a = ReplicatedLog(tmp_path / "a.db", link, "fence-log", "node-a", term=lambda: 1)
    b = ReplicatedLog(tmp_path / "b.db", link, "fence-log", "node-b", term=lambda: 2)
    try:
        a.pull(), b.pull()
        a.append([("protos.X", b"one")])
        assert b.pull() == 1
        b.append([("protos.X", b"two")])
        with pytest.raises(LogFenced):
            a.append([("protos.X", b"three")])
        assert a.stale and a.last_position == 1
        with pytest.raises(LogFenced):  # stale until it catches up, even if JetStream would take it now
            a.append([("protos.X", b"four")])
        assert [(g.writer, g.term, g.positions) for g in log_groups(link, "fence-log")] == [
            ("node-a", 1, (1,)), ("node-b", 2, (2,))]
        assert a.pull() == 1 and not a.stale
        assert [e.data for e in a.read()] == [b"one", b"two"]
    finally:
        a.close(), b.close()


def test_an_append_whose_answer_was_lost_is_sent_again_and_stored_once(link, tmp_path, monkeypatch):
    """JetStream stored the group but the node never heard (its server died with the answer): the
    append is sent again with the same message id and JetStream answers with the stored sequence,
    instead of storing it twice or refusing it as another writer's (wrong last sequence)."""
    log = ReplicatedLog(tmp_path / "a.db", link, "lost-answer", "node-a", term=lambda: 1)
    real_call, stored = link.call, []

    def losing_the_first_answer(coroutine, timeout=None, **options):
        result = real_call(coroutine, timeout, **options)
        if getattr(coroutine, "__qualname__", "").endswith(".publish") and not stored:
            stored.append(result.seq)
            raise ClusterUnavailable("JetStream did not answer within 1 s")
        return result

    try:
        log.pull()
        monkeypatch.setattr(link, "call", losing_the_first_answer)
        log.append([("protos.X", b"once")])
        monkeypatch.undo()
        assert stored and log.stream_seq == stored[0] and not log.stale
        log.append([("protos.X", b"next")])
        assert [g.positions for g in log_groups(link, "lost-answer")] == [(1,), (2,)]
    finally:
        log.close()


def test_a_lease_is_taken_once_and_moves_after_its_ttl(link):
    mine, theirs = Leases(link, "node-a", "addr-a"), Leases(link, "node-b", "addr-b")
    assert mine.ttl == LEASE_SECONDS  # the bucket's TTL rules, whatever a node was started with
    lease = mine.take("lease-t")
    assert not isinstance(lease, Owner)
    assert theirs.take("lease-t") == Owner("node-a", "addr-a", lease.revision)
    mine.renew("lease-t")
    mine.forget("lease-t")  # node A goes silent: no more renewals
    time.sleep(LEASE_SECONDS + 0.5)
    taken = theirs.take("lease-t")
    assert not isinstance(taken, Owner) and taken.term > lease.term
    theirs.release("lease-t")


def test_any_node_serves_and_another_takes_over_when_the_owner_dies(cluster, link):
    """The survivor forwards to the dead owner, is refused (nothing listens), and takes the lease."""
    first, second = cluster.nodes
    create_tenant(second.address, "failover")
    acknowledged = {f"a{i}": add_location(first.address, "failover", f"a{i}") for i in range(5)}
    acknowledged["b0"] = add_location(second.address, "failover", "b0")  # forwarded to the owner
    assert listed(second.address, "failover") == acknowledged
    owner = cluster.nodes[[n.address for n in cluster.nodes].index(_owner(link, "failover"))]
    survivor = second if owner is first else first
    owner.kill()
    killed = time.monotonic()
    while True:
        try:
            acknowledged["after"] = add_location(survivor.address, "failover", "after")
            break
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error.details()
            assert owner_of(error) == owner.address
            assert time.monotonic() - killed < LEASE_SECONDS + 5
            time.sleep(0.1)
    failover = time.monotonic() - killed
    assert failover < LEASE_SECONDS + 3  # nothing listens at the owner's address: taken before the TTL, mostly
    assert listed(survivor.address, "failover") == acknowledged
    cluster.restart_node(cluster.nodes.index(owner))
    assert listed(owner.address, "failover") == acknowledged  # forwarded to the new owner
    assert not writers_overlap(log_groups(link, "failover"))


def test_an_old_owner_that_wakes_up_cannot_append(cluster, link):
    """The owner is frozen (SIGSTOP) long past its lease; another node takes the tenant
    and writes; the old owner, woken, must not append: its writes go to the new owner."""
    first, second = cluster.nodes
    create_tenant(first.address, "wakes")
    acknowledged = {"before": add_location(first.address, "wakes", "before")}
    owner = next(n for n in cluster.nodes if n.address == _owner(link, "wakes"))
    other = second if owner is first else first
    owner.process.send_signal(signal.SIGSTOP)
    try:
        _wait_until_expired(link, "wakes")  # a frozen owner still accepts connections: nothing refuses
        acknowledged["taken"] = add_location(other.address, "wakes", "taken")
    finally:
        owner.process.send_signal(signal.SIGCONT)
    acknowledged["woken"] = add_location(owner.address, "wakes", "woken")
    assert listed(owner.address, "wakes") == acknowledged
    groups = log_groups(link, "wakes")
    assert [group.writer for group in groups] == [owner.name, other.name, other.name]
    assert not writers_overlap(groups)


def _wait_until_expired(link: NatsLink, tenant: str) -> None:
    """Until the lease bucket's leader has expired the key (each replica expires it on its own clock,
    so a direct get may say it is gone a moment before the leader, which decides a take, agrees)."""
    deadline = time.monotonic() + LEASE_SECONDS + 10
    while True:
        try:
            link.retrying(lambda: link.quick.get_msg("KV_bf_leases", subject=f"$KV.bf_leases.{tenant}"))
        except NotFoundError:
            return
        assert time.monotonic() < deadline, "the frozen owner's lease never expired"
        time.sleep(0.1)


def _owner(link: NatsLink, tenant: str) -> str:
    return Leases(link, "probe", "").owner(tenant).address


def test_bf_events_asked_at_any_node_follows_the_owner(cluster, link):
    first, second = cluster.nodes
    create_tenant(first.address, "events")
    for name in ("e1", "e2"):
        add_location(first.address, "events", name)
    owner = _owner(link, "events")
    other = second.address if owner == first.address else first.address
    printed = subprocess.run([sys.executable, "-m", "workbench.cli", "events", "--target", other, "--tenant", "events"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2"] and "e2" in lines[1]


def test_bf_migrate_hands_the_lease_over_and_the_target_serves_from_the_log(cluster, link):
    first, second = cluster.nodes
    create_tenant(first.address, "moving")
    acknowledged = {"m0": add_location(first.address, "moving", "m0")}
    source = next(n for n in cluster.nodes if n.address == _owner(link, "moving"))
    target = second if source is first else first
    moved = subprocess.run([sys.executable, "-m", "workbench.cli", "migrate", "moving", "--server", source.address,
                            "--to", target.address], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert moved.returncode == 0, moved.stderr
    acknowledged["m1"] = add_location(source.address, "moving", "m1")  # forwarded to the new owner
    assert _owner(link, "moving") == target.address
    assert listed(target.address, "moving") == acknowledged
    assert [group.writer for group in log_groups(link, "moving")] == [source.name, target.name]


def test_bf_compact_makes_a_snapshot_a_fresh_copy_starts_from(cluster, link, domain):
    first = cluster.nodes[0]
    create_tenant(first.address, "snap")
    stubbed = stub(first.address)
    metadata = [(TENANT_METADATA, "snap")]
    uid = add_location(first.address, "snap", "shelf")
    product = stubbed.AddProducts(inv.AddProductsReq(skus=["S1"]), metadata=metadata, timeout=10).uids[0]
    for _ in range(30):  # 30 stock updates of one place compact to one
        stubbed.UpdateInventory(inv.UpdateInventoryReq(location=uid, product=product, OnHandChange=1),
                                metadata=metadata, timeout=10)
    before = replayed_fingerprint(link, domain, "snap")
    owner = _owner(link, "snap")
    compacted = subprocess.run([sys.executable, "-m", "workbench.cli", "compact", "snap", "--server", owner],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert compacted.returncode == 0, compacted.stderr
    assert "32 -> 3 events" in compacted.stdout
    assert len(log_groups(link, "snap")) == 1  # the last group stays: the log's head
    assert replayed_fingerprint(link, domain, "snap") == before  # a fresh copy: the snapshot and what follows
    add_location(first.address, "snap", "after")
    assert set(listed(first.address, "snap")) == {"shelf", "after"}
    assert replayed_fingerprint(link, domain, "snap") != before


def test_bf_events_f_keeps_following_when_the_tenant_moves(cluster, link):
    first, second = cluster.nodes
    create_tenant(first.address, "moves")
    add_location(first.address, "moves", "f1")
    source = next(n for n in cluster.nodes if n.address == _owner(link, "moves"))
    target = second if source is first else first
    follower = subprocess.Popen([sys.executable, "-m", "workbench.cli", "events", "--target", target.address,
                                 "--tenant", "moves", "-f"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert "f1" in follower.stdout.readline()
        moved = subprocess.run([sys.executable, "-m", "workbench.cli", "migrate", "moves", "--server", source.address,
                                "--to", target.address], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert moved.returncode == 0, moved.stderr
        add_location(source.address, "moves", "f2")
        line = follower.stdout.readline()  # the stream on the old owner ended; bf events asked again and went on
        assert line.split()[0] == "2" and "f2" in line
    finally:
        follower.kill()
        follower.wait()


def test_the_lease_buckets_leader_is_moved_to_the_logs_leader(link):
    """One server's death then costs one election, not two (leaders.py): moved away, the bucket's leader
    is brought back to the log's leader's server (by bring_leaders_together, or a node's own check)."""
    import json

    from workbench.cluster.leaders import bring_leaders_together

    def leaders() -> tuple[str, str]:
        try:  # a stream answers no question for a moment while its leader moves
            return (link.call(link.js.stream_info("BF_LOG"), timeout=2).cluster.leader,
                    link.call(link.js.stream_info("KV_bf_leases"), timeout=2).cluster.leader)
        except ClusterUnavailable:
            return "", ""

    deadline = time.monotonic() + 20
    log_leader, leases_leader = leaders()
    while not (log_leader and leases_leader):
        assert time.monotonic() < deadline, "no leaders"
        log_leader, leases_leader = leaders()
    if leases_leader == log_leader:  # together already (a node's check): move the bucket's leader away
        elsewhere = next(name for name in ("n1", "n2", "n3") if name != log_leader)
        moved = link.call(link.nc.request("$JS.API.STREAM.LEADER.STEPDOWN.KV_bf_leases",
                                          json.dumps({"placement": {"preferred": elsewhere}}).encode(), timeout=2))
        assert json.loads(moved.data).get("success"), moved.data
    while True:
        log_leader, leases_leader = leaders()
        if log_leader and log_leader == leases_leader:
            return
        assert time.monotonic() < deadline, f"leaders still apart: {log_leader}, {leases_leader}"
        try:
            bring_leaders_together(link)
        except ClusterUnavailable:
            pass
        time.sleep(0.2)
