"""Keep the lease bucket's JetStream leader on the NATS server that leads the log.

An append needs the leader of the stream `BF_LOG`; a takeover or a renewal needs
the lease bucket's. When the two lead from different servers, the death of either
stops the tenants' writes until the other servers elect a new leader (nats-server's
Raft waits 4-9 s for that, and has no setting for it); on one server, only that
server's death does: half as many outages when any server may die. So each node,
every second, asks the lease bucket's leader to hand over to the log's, which
JetStream does in one graceful leader transfer (milliseconds, no election). The
bucket's load is small (a renewal per tenant every sixth of a lease), so the log's
leader takes it on at little cost.
"""

from __future__ import annotations

import json
import logging
import threading

from nats.js.errors import APIError

from workbench.cluster.leases import BUCKET as LEASES_BUCKET
from workbench.cluster.link import PROBE_SECONDS, ClusterUnavailable, NatsLink
from workbench.cluster.replicated_log import STREAM

CHECK_SECONDS = 1.0  # soon after an election: the next server to die may be either leader
_LEASES_STREAM = f"KV_{LEASES_BUCKET}"
_LOG = logging.getLogger("bf.cluster")


def bring_leaders_together(link: NatsLink) -> bool:
    """Ask the lease bucket's leader to hand over to the log's leader when they differ and the log's
    leader holds a current copy of the bucket; True when asked."""
    log = link.call(link.js.stream_info(STREAM), timeout=PROBE_SECONDS + 1).cluster
    leases = link.call(link.js.stream_info(_LEASES_STREAM), timeout=PROBE_SECONDS + 1).cluster
    if log is None or leases is None or not log.leader or not leases.leader or log.leader == leases.leader:
        return False
    if not any(peer.name == log.leader and peer.current for peer in leases.replicas or []):
        return False  # it would have to catch up first: leave the bucket where it is
    request = json.dumps({"placement": {"preferred": log.leader}}).encode()
    answer = link.call(link.nc.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{_LEASES_STREAM}", request,
                                       timeout=PROBE_SECONDS), timeout=PROBE_SECONDS + 1)
    error = json.loads(answer.data).get("error")
    if error:  # another node asked first, or the leaders changed meanwhile: the next check sees
        _LOG.debug("moving the lease bucket's leader to %s: %s", log.leader, error.get("description"))
        return False
    _LOG.info("leaders_together lease_bucket_leader=%s", log.leader)
    return True


class LeadersTogether:
    """`bring_leaders_together` every CHECK_SECONDS on a thread of its own (a stream that has no leader
    answers no question, and the lease renewals must not wait for that)."""

    def __init__(self, link: NatsLink):
        self._link = link
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bf-leaders", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            try:
                bring_leaders_together(self._link)
            except (ClusterUnavailable, APIError) as error:
                _LOG.debug("leaders: %s", error)  # an election is on: ask again at the next check

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
