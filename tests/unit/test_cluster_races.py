"""Nodes that make the same KV key at the same moment (real NATS servers, R3): the loser
of each race reads the winner's value, even when nats-py's read-back after losing reaches
a replica that has not applied the winner's write yet (CI saw a node die of that)."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError  # noqa: E402

from workbench.cluster.cluster_keys import ClusterKeyring, check_cluster_key  # noqa: E402
from workbench.cluster.cluster_tenants import TENANTS_BUCKET  # noqa: E402
from workbench.cluster.link import NatsLink, create_key  # noqa: E402
from workbench.cluster.nats_servers import NatsCluster, wait_ready  # noqa: E402
from workbench.tenancy.master_key import MasterKeyError, new_master_key  # noqa: E402

RACERS = 6


@pytest.fixture(scope="module")
def nats(tmp_path_factory):
    nats = NatsCluster(tmp_path_factory.mktemp("races")).start()
    try:
        wait_ready(nats.urls)
        yield nats
    finally:
        nats.stop()


@pytest.fixture(scope="module")
def links(nats):
    links = [NatsLink(nats.urls, name=f"bf-racer-{n}") for n in range(RACERS)]
    yield links
    for link in links:
        link.close()


def _race(links: list[NatsLink], work) -> list[object]:
    """`work(n, link)` on every link at once; what each returned, or the error it raised."""
    start, results = threading.Barrier(len(links)), [None] * len(links)

    def racer(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n, links[n])
        except Exception as error:  # noqa: BLE001 - the test reads every racer's outcome
            results[n] = error

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(len(links))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_nodes_starting_together_agree_on_one_master_key(links):
    keys = [bytes.fromhex(new_master_key()) for _ in range(2)]
    outcomes = _race(links, lambda n, link: check_cluster_key(link, keys[n % 2], TENANTS_BUCKET))
    accepted = {n % 2 for n, outcome in enumerate(outcomes) if outcome is None}
    assert len(accepted) == 1, outcomes
    refused = [outcome for n, outcome in enumerate(outcomes) if n % 2 not in accepted]
    assert all(isinstance(error, MasterKeyError) and "not the cluster's" in str(error) for error in refused), outcomes
    winner = keys[accepted.pop()]
    assert all(check_cluster_key(link, winner, TENANTS_BUCKET) is None for link in links)


def test_nodes_opening_a_new_tenant_together_use_one_tenant_key(links):
    master = bytes.fromhex(new_master_key())
    outcomes = _race(links, lambda n, link: ClusterKeyring(link, master).keys("raced").versions)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert len({outcome[1] for outcome in outcomes}) == 1, "two tenant keys were handed out"


class _LaggingReplica:
    """nats-py's `create` after losing: its read-back reached a replica without the winner's write."""

    async def create(self, key: str, value: bytes) -> int:
        raise KeyNotFoundError()


async def test_a_lost_create_is_a_wrong_last_sequence_whatever_the_read_back_saw():
    with pytest.raises(KeyWrongLastSequenceError, match="another writer"):
        await create_key(_LaggingReplica(), "tenant-a", b"")


def test_a_request_whose_connection_drops_is_sent_again_at_once(nats):
    """The server a request went through dies before answering: the answer is lost with the connection,
    and the request goes again through the new one as soon as the client has reconnected, not after the
    attempt's timeout (a second on the hot paths)."""
    asked = []
    link = NatsLink(nats.urls, name="bf-dropped")  # connected to the first server: servers are tried in order
    answering = NatsLink(nats.urls[1:], name="bf-answering")  # on another server: survives the restart
    try:
        async def answer_from_the_second_ask(message):
            asked.append(message)
            if len(asked) > 1:
                await message.respond(b"answered")

        answering.call(answering.nc.subscribe("bf.test.ask", cb=answer_from_the_second_ask))
        answering.call(answering.nc.flush())
        restarter = threading.Timer(0.3, nats.restart, args=(0,))
        restarter.start()
        started = time.monotonic()
        answer = link.retrying(lambda: link.nc.request("bf.test.ask", b"?", timeout=30), seconds=20, attempt=20)
        restarter.join()
        assert answer.data == b"answered" and len(asked) == 2
        assert time.monotonic() - started < 5, "the lost request waited for its attempt's timeout"
    finally:
        link.close()
        answering.close()
        wait_ready(nats.urls)
