"""When JetStream itself could take no write, as a chaos run sees it.

A NATS server killed while it led the stream `BF_LOG` or the lease bucket
leaves that stream without a leader until the other two elect one. nats-server's
Raft waits 4-9 s after the leader's last heartbeat before it campaigns (fixed in
its code, no setting), and meanwhile no node can append or take a lease: a
takeover that falls in such a window waits for it, whatever bf does. So `bf chaos`
asks both leaders every tenth of a second and reports failover times twice: as
the clients saw them, and without the time JetStream had no leader.
"""

from __future__ import annotations

import asyncio
import threading
import time

from nats.js.errors import APIError, NotFoundError

from workbench.cluster.leases import BUCKET as LEASES_BUCKET
from workbench.cluster.link import ClusterUnavailable, NatsLink
from workbench.cluster.replicated_log import STREAM, SUBJECT_PREFIX

SAMPLE_SECONDS = 0.1
# Raft campaigns no sooner than 4 s after the last heartbeat: a shorter gap in the answers is this
# watcher's own connection moving to another server (the one it used was killed), not an election.
MIN_ELECTION_SECONDS = 2.0
ASK_SECONDS = 0.5  # a leader answers in milliseconds; none at all while it is being elected
_PROBES = ((STREAM, SUBJECT_PREFIX + "chaos-probe"), (f"KV_{LEASES_BUCKET}", f"$KV.{LEASES_BUCKET}.chaos-probe"))


class LeaderWatch:
    """Asks the log's and the leases' leaders until `until`, on a thread of its own."""

    def __init__(self, link: NatsLink, until: float):
        self._link, self._until = link, until
        self.samples: list[tuple[float, bool]] = []  # (asked at, both leaders answered)
        self._thread = threading.Thread(target=self._watch, name="bf-chaos-leaders", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while time.monotonic() < self._until:
            asked = time.monotonic()
            try:
                self._link.call(_ask_leaders(self._link), timeout=ASK_SECONDS + 0.5)
                self.samples.append((asked, True))
            except (ClusterUnavailable, APIError):
                self.samples.append((asked, False))
            time.sleep(SAMPLE_SECONDS)

    def join(self) -> None:
        self._thread.join()

    def answering(self) -> bool:
        """Both leaders answered the last question: no election is going on."""
        return bool(self.samples) and self.samples[-1][1]

    def leaderless(self, nats_kills: list[float]) -> list[tuple[float, float]]:
        return leaderless(self.samples, nats_kills)


async def _ask_leaders(link: NatsLink) -> None:
    await asyncio.gather(*(_ask(link, stream, subject) for stream, subject in _PROBES))


async def _ask(link: NatsLink, stream: str, subject: str) -> None:
    try:  # a get asked of the stream's leader (not direct): only a leader answers it
        await asyncio.wait_for(link.quick.get_msg(stream, subject=subject), ASK_SECONDS)
    except NotFoundError:
        pass  # an answer all the same


def leaderless(samples: list[tuple[float, bool]], nats_kills: list[float]) -> list[tuple[float, float]]:
    """The windows with no leader to take writes: each from the NATS kill that began it (else the
    last question answered before it) to the first question answered again."""
    windows: list[tuple[float, float]] = []
    began, last_answered = None, None
    for asked, answered in samples:
        if not answered and began is None:
            kills = [k for k in nats_kills if k <= asked + ASK_SECONDS]
            began = max(kills[-1:] + ([last_answered] if last_answered is not None else []), default=asked)
        elif answered:
            if began is not None:
                windows.append((began, asked))
            began, last_answered = None, asked
    if began is not None:
        windows.append((began, samples[-1][0]))
    return [(start, end) for start, end in windows if end - start >= MIN_ELECTION_SECONDS]


def overlap(start: float, end: float, windows: list[tuple[float, float]]) -> float:
    """How much of [start, end] falls in the windows."""
    return sum(max(0.0, min(end, w_end) - max(start, w_start)) for w_start, w_end in windows)
