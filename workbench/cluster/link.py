"""One node's connection to the NATS cluster, used from plain threads.

nats-py is asyncio; bf's tenants lead their groups on threads. The link runs
its own event loop on a thread of its own and `call` hands it a coroutine and
waits for the result, so a tenant's append is an ordinary blocking call. The
client knows every server and reconnects to another when one dies.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any, Awaitable, Callable

import nats
from nats.js import JetStreamContext
from nats.js.errors import (APIError, KeyNotFoundError, KeyWrongLastSequenceError, NoStreamResponseError, NotFoundError,
                            ServerError, ServiceUnavailableError)
from nats.js.kv import KeyValue

from workbench.core.codes import Code
from workbench.service.rpc import ServiceError

_LOG = logging.getLogger("bf.cluster")
READY_SECONDS = 30.0
CALL_SECONDS = 5.0  # the longest one JetStream request may take (a server died: the client reconnects)
# One attempt of a small request on a hot path (an append, a lease, a get). A request lost with the server
# that held it (killed mid-call) is never answered: sending it again after a second, rather than waiting
# CALL_SECONDS, is what lets a tenant go on within a second of JetStream electing a new leader.
ATTEMPT_SECONDS = 1.0
# Asking a stream's leader: while it is being elected nothing answers at all, so short attempts notice the
# new leader soon after the election (an answer takes milliseconds).
LEADER_ATTEMPT_SECONDS = 0.5
RETRY_PAUSE = 0.05  # between attempts while JetStream has no leader to answer (it refuses at once then)
PROBE_SECONDS = 1.0  # a server whose JetStream takes longer to answer at connection time is skipped
CONNECT_SECONDS = 3.0  # one round of connection attempts over every server
CONNECTION_WATCH_SECONDS = 0.05  # how soon a request waiting on a dropped connection is sent again
LOG_STREAM = "BF_LOG"  # the stream of the tenants' logs (replicated_log.py)


class Unavailable(ServiceError):
    """UNAVAILABLE: the caller may try again (here, or at another node)."""

    def __init__(self, message: str):
        super().__init__(Code.UNAVAILABLE, message)

    def __str__(self) -> str:
        return self.message


class ClusterUnavailable(Unavailable):
    """JetStream did not answer in time: no quorum, or every server out of reach."""


class NothingListened(ClusterUnavailable):
    """No JetStream server took the request (the stream has no leader this moment): it was not applied."""


class ConnectionLost(ClusterUnavailable):
    """The connection to the server a request went through dropped before its answer came: the answer
    is lost with it, and the request may or may not have been applied."""


class NatsLink:
    def __init__(self, urls: list[str] | str, name: str = "bf", connect_seconds: float = READY_SECONDS,
                 waiting: Callable[[], None] | None = None):
        """`waiting()`: called once if the first round over every server found no JetStream answering."""
        self.urls = urls.split(",") if isinstance(urls, str) else list(urls)
        self._waiting = waiting
        self._disconnects = 0  # connections lost so far: a request sent before the last one is not answered
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bf-nats", daemon=True)
        self._thread.start()
        self.nc = self._connect(name, connect_seconds)
        self.js: JetStreamContext = self.nc.jetstream(timeout=CALL_SECONDS)
        self.quick: JetStreamContext = self.nc.jetstream(timeout=ATTEMPT_SECONDS)  # for `retrying` and the KV buckets

    def _connect(self, name: str, seconds: float) -> nats.NATS:
        """Connect to a server whose JetStream answers, trying each in turn for `seconds`
        (servers may still be starting, or one may have just restarted and not caught up yet)."""
        deadline = time.monotonic() + seconds
        for attempt in itertools.count():
            first = attempt % len(self.urls)
            servers = self.urls[first:] + self.urls[:first]
            try:
                nc = self.call(nats.connect(
                    servers=servers, name=name, dont_randomize=True, max_reconnect_attempts=-1,
                    reconnect_time_wait=0.2, connect_timeout=1, ping_interval=2, max_outstanding_pings=2,
                    error_cb=_quiet, disconnected_cb=self._disconnected, reconnected_cb=_quiet_event),
                    timeout=CONNECT_SECONDS)
            except (OSError, ClusterUnavailable, nats.errors.NoServersError):
                last = "no server accepted a connection"
            else:
                try:
                    self.call(_jetstream_answers(nc), timeout=PROBE_SECONDS + 1)
                    return nc
                except (ClusterUnavailable, APIError) as error:
                    last = str(error)
                    self.call(nc.close())
            if attempt == len(self.urls) - 1 and self._waiting is not None:
                self._waiting()
            if time.monotonic() > deadline:
                self.close()
                raise ClusterUnavailable(f"cannot reach JetStream at {','.join(self.urls)} within"
                                         f" {seconds:.0f} s: {last}")
            time.sleep(0.1)
        raise AssertionError("unreachable")

    async def _disconnected(self) -> None:
        self._disconnects += 1

    def call(self, coroutine: Awaitable, timeout: float = CALL_SECONDS + 1, while_connected: bool = False) -> Any:
        """Run `coroutine` on the link's loop and return its result (its error raised here). `while_connected`:
        raise ConnectionLost as soon as the connection drops, rather than wait for an answer that is lost."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return self._result(future, timeout, self._disconnects if while_connected else None)
        except TimeoutError:
            future.cancel()
            raise ClusterUnavailable(f"JetStream did not answer within {timeout:.0f} s") from None
        except (ServiceUnavailableError, ServerError) as error:
            raise ClusterUnavailable(f"JetStream unavailable: {error.description}") from None
        except APIError:
            raise  # an answer (not found, wrong last sequence, ...): the caller's to read
        except (nats.errors.NoRespondersError, NoStreamResponseError) as error:
            raise NothingListened(f"JetStream unavailable: {type(error).__name__}") from None
        except (nats.errors.Error, asyncio.TimeoutError) as error:  # no answer: no quorum, a server gone, ...
            raise ClusterUnavailable(f"JetStream unavailable: {type(error).__name__}") from None

    def _result(self, future: Future, timeout: float, disconnects: int | None) -> Any:
        if disconnects is None:
            return future.result(timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                return future.result(min(CONNECTION_WATCH_SECONDS, max(0.0, deadline - time.monotonic())))
            except TimeoutError:
                if self._disconnects != disconnects:
                    future.cancel()
                    raise ConnectionLost("the connection to NATS dropped before JetStream answered") from None
                if time.monotonic() >= deadline:
                    raise

    def retrying(self, make: Callable[[], Awaitable], seconds: float = CALL_SECONDS,
                 attempt: float = ATTEMPT_SECONDS + 0.5, only: type[ClusterUnavailable] = ClusterUnavailable) -> Any:
        """The result of `make()` (a request on `quick`), made again while JetStream does not answer, for up
        to `seconds`, each attempt given up after `attempt` seconds, or as soon as the connection it went
        through drops (its answer is lost with it; the next attempt goes through the new connection).
        Only for requests that are safe to repeat: reads, or appends that carry a message id; any write
        with `only=NothingListened` (a leader moving, or being elected), since no server took it."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.call(make(), timeout=attempt, while_connected=True)
            except only:
                if time.monotonic() + RETRY_PAUSE >= deadline:
                    raise
                time.sleep(RETRY_PAUSE)

    def run_on_loop(self, function: Callable[[], Any]) -> None:
        self._loop.call_soon_threadsafe(function)

    def wait_for_jetstream(self, deadline: float) -> None:
        """Retry until a replicated stream can be made (the meta leader is elected and JetStream answers)."""
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                self.call(self.js.add_stream(name="BF_READY", subjects=["bf.ready"], num_replicas=len(self.urls),
                                             max_msgs=1), timeout=3)
                return
            except (ClusterUnavailable, APIError) as error:
                last = str(error)
                time.sleep(0.2)
        raise ClusterUnavailable(f"the NATS cluster at {','.join(self.urls)} is not ready: {last}")

    def close(self) -> None:
        try:
            if getattr(self, "nc", None) is not None:
                self.call(self.nc.close(), timeout=5)
        except Exception:
            pass  # closing a link to a dead cluster: nothing left to tell it
        try:
            asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop).result(5)
        except Exception:
            pass  # a loop that cannot even cancel: stop it anyway
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


async def _jetstream_answers(nc: nats.NATS) -> None:
    """Raise unless JetStream answers through `nc`. Any replica of the log answering a direct get will do:
    an account-info question needs the meta leader, which may be in an election (a node restarting then
    waited 4-9 s for it, and bf needs no meta leader to serve). Before the log exists, account info."""
    try:
        await nc.request(f"$JS.API.DIRECT.GET.{LOG_STREAM}", json.dumps({"last_by_subj": f"{LOG_STREAM}.probe"}).encode(),
                         timeout=PROBE_SECONDS)  # any answer (a "not found" status too) is what is asked
    except nats.errors.NoRespondersError:
        await nc.jetstream(timeout=PROBE_SECONDS).account_info()


async def _cancel_the_rest() -> None:
    """Cancel what still runs on the link's loop (a connection attempt given up on), so it ends quietly."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


async def _quiet(error: Exception) -> None:
    _LOG.debug("nats: %s", error)  # a server went away: the client reconnects to another by itself


async def _quiet_event() -> None:
    pass


def bucket(link: NatsLink, name: str, replicas: int = 3, ttl: float | None = None) -> tuple[KeyValue, float | None]:
    """The KV bucket `name` and its TTL, made when missing. While JetStream elects a leader
    (a server just died) a bucket that does not answer is taken to exist: every node
    makes the buckets at the cluster's first start, and a restarting node should not wait."""
    direct = True  # the buckets bf makes answer direct gets: any replica, no leader needed
    try:
        info = link.call(link.js.stream_info(f"KV_{name}"), timeout=PROBE_SECONDS + 1)
        direct, ttl = bool(info.config.allow_direct), info.config.max_age or ttl
    except NotFoundError:
        link.call(link.js.create_key_value(bucket=name, replicas=replicas, ttl=ttl, history=1, direct=True))
    except ClusterUnavailable:
        pass
    return _handle(link, name, direct), ttl


def through_leader(link: NatsLink, name: str) -> KeyValue:
    """The KV bucket `name` read from its stream's leader: a key another node made a moment ago, that a
    direct get from a replica still applying it would not find."""
    return _handle(link, name, direct=False)


def _handle(link: NatsLink, name: str, direct: bool) -> KeyValue:
    # Small requests with short attempts (`quick`): a lease must not wait CALL_SECONDS for a lost answer.
    return KeyValue(name=name, stream=f"KV_{name}", pre=f"$KV.{name}.", js=link.quick, direct=direct)


async def create_key(kv: KeyValue, key: str, value: bytes) -> int:
    """`kv.create`, raising KeyWrongLastSequenceError whenever the key was there first. Losing the race,
    nats-py reads the key back (to tell a deleted one) with a direct get, and a replica that has not
    applied the winner's write yet answers KeyNotFoundError: the key exists all the same."""
    try:
        return await kv.create(key, value)
    except KeyNotFoundError as error:
        raise KeyWrongLastSequenceError(f"{key} was made by another writer a moment ago") from error


async def retried(make: Callable[[], Awaitable], seconds: float = CALL_SECONDS) -> Any:
    """`NatsLink.retrying` for code already on the link's loop: `await make()`, made again while it raises
    ClusterUnavailable (a replica killed mid-request), for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await make()
        except ClusterUnavailable:
            if time.monotonic() + RETRY_PAUSE >= deadline:
                raise
            await asyncio.sleep(RETRY_PAUSE)


async def direct_batch(link: NatsLink, stream: str, request: dict) -> list[tuple[dict, bytes]]:
    """The messages one batched direct get answers, as (headers, data) pairs: any replica answers and
    no consumer is made. `request`: `next_by_subj` or `multi_last`, with `batch`."""
    inbox = link.nc.new_inbox()
    subscription = await link.nc.subscribe(inbox)
    try:
        await link.nc.publish(f"$JS.API.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox)
        found = []
        while True:
            try:
                message = await subscription.next_msg(timeout=ATTEMPT_SECONDS)
            except TimeoutError:
                raise ClusterUnavailable(f"no replica of {stream} answered a read within {ATTEMPT_SECONDS:g} s") from None
            headers = message.headers or {}
            if headers.get("Status") in ("204", "404"):  # end of the batch; nothing (more) to read
                return found
            if headers.get("Status"):
                raise ClusterUnavailable(f"JetStream could not read {stream}: {headers['Status']} "
                                         f"{headers.get('Description', '')}")
            found.append((headers, message.data))
    finally:
        await subscription.unsubscribe()


MAX_KEYS = 100_000


def live_keys(link: NatsLink, name: str) -> dict[str, tuple[bytes, int]]:
    """Every live key of the KV bucket `name`, with its value and revision, read in one batched direct
    get of each key's last message. (nats-py's `keys()` watches through a consumer, and under frequent
    updates it sometimes ended before the first key: a node missing from the heartbeats.)"""
    prefix = f"$KV.{name}."
    messages = link.retrying(lambda: direct_batch(link, f"KV_{name}", {"multi_last": [prefix + ">"], "batch": MAX_KEYS}))
    return {headers["Nats-Subject"][len(prefix):]: (data, int(headers["Nats-Sequence"]))
            for headers, data in messages if headers.get("KV-Operation") not in ("DEL", "PURGE")}
