"""The load `bf chaos` puts on a cluster, and what it remembers of every answer.

Per tenant, two kinds of callers, all through a `ClusterClient` (any node, retries):
  the workload   the domain's `bf stress` business (`<domain>.stress_workload`), round
                 after round, `in_flight` calls at a time; every id an acknowledged
                 answer gave back is kept, to find in the log afterwards
  the ledger     adds 1 to one stock level, one call at a time: the acknowledged on-hand
                 values must be distinct, and the final on-hand lie between their count
                 and their count plus the calls whose fate stayed uncertain
"""

from __future__ import annotations

import importlib
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from domain.contracts.inventory_pb2 import (
    AddLocationsReq, AddProductsReq, GetLocInventoryReq, UpdateInventoryReq,
)
from workbench.cluster.client import Answer, ClusterClient
from workbench.cluster.local import LocalCluster, node_environment
from workbench.config import Project
from workbench.core.codes import Code
from workbench.core.domain import Domain

GAVE_UP = {Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, Code.INTERNAL, Code.CANCELLED}  # the client's `_TRY_AGAIN`


@dataclass
class TenantRecord:
    name: str
    answers: list[Answer] = field(default_factory=list)
    acknowledged_ids: set[str] = field(default_factory=set)
    ledger_values: list[int] = field(default_factory=list)  # acknowledged on-hand after each +1
    ledger_uncertain: int = 0
    ledger_given_up: int = 0
    ledger_place: tuple[str, str] = ("", "")  # (location uid, product uid)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)


def answered(answer: Answer) -> bool:
    """The cluster gave an answer (OK or the domain's refusal), not a give-up."""
    return answer.code not in GAVE_UP


def _ids(response: Any) -> set[str]:
    if response is None:
        return set()
    if hasattr(response, "uids"):
        return set(response.uids)
    if hasattr(response, "reservation"):
        return {response.reservation} if response.reservation else set()
    if hasattr(response, "locs"):
        found: set[str] = set()
        pending = list(response.locs)
        while pending:
            loc = pending.pop()
            found.add(loc.uid)
            pending += loc.locs
        return found
    return set()


class Load:
    """Drive `tenants` (created already) until `stop` is set."""

    def __init__(self, client: ClusterClient, project_domain: str, tenants: list[str], in_flight: int, seed: int):
        self.client = client
        self.records = {name: TenantRecord(name) for name in tenants}
        self._workload_class = importlib.import_module(f"{project_domain}.stress_workload").Workload
        self._in_flight = in_flight
        self._seed = seed
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for number, record in enumerate(self.records.values()):
            self._prepare_ledger(record)
            for target, name in ((self._drive_workload, "workload"), (self._drive_ledger, "ledger")):
                thread = threading.Thread(target=target, args=(record, self._seed + number),
                                          name=f"bf-chaos-{name}-{record.name}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()

    def _call(self, record: TenantRecord, request: Any) -> Answer:
        answer = self.client.call(record.name, request)
        record.keep(answer)
        if answer.code == Code.OK:
            ids = _ids(answer.response)
            if ids:
                with record._lock:
                    record.acknowledged_ids |= ids
        return answer

    def _drive_workload(self, record: TenantRecord, seed: int) -> None:
        workload = self._workload_class(seed)
        with ThreadPoolExecutor(self._in_flight, thread_name_prefix=f"bf-chaos-{record.name}") as pool:
            round_number = 0
            while not self.stop.is_set():
                round_number += 1
                for phase in workload.phases(round_number):
                    if self.stop.is_set():
                        return
                    answers = list(pool.map(lambda request: self._call(record, request), phase))
                    for request, answer in zip(phase, answers):
                        workload.observe(request, answer.response)

    def _prepare_ledger(self, record: TenantRecord) -> None:
        loc = self.client.call(record.name, AddLocationsReq(locs=[AddLocationsReq.Loc(name=f"ledger-{self._seed}")]))
        product = self.client.call(record.name, AddProductsReq(skus=[f"LEDGER-{self._seed}"]))
        if loc.response is None or product.response is None:
            raise RuntimeError(f"could not set up tenant {record.name!r}: {loc.message or product.message}")
        record.ledger_place = (loc.response.locs[0].uid, product.response.uids[0])

    def _drive_ledger(self, record: TenantRecord, seed: int) -> None:
        location, product = record.ledger_place
        while not self.stop.is_set():
            answer = self._call(record, UpdateInventoryReq(location=location, product=product, OnHandChange=1))
            if answer.code == Code.OK:
                record.ledger_values.append(answer.response.OnHand)
                record.ledger_uncertain += answer.uncertain  # this one landed; an earlier attempt may have too
            elif answered(answer):
                raise RuntimeError(f"the ledger of {record.name!r} was refused: {answer.message}")
            else:
                record.ledger_given_up += 1
                record.ledger_uncertain += 1

    def ledger_on_hand(self, record: TenantRecord) -> int:
        location, product = record.ledger_place
        answer = self.client.call(record.name, GetLocInventoryReq(location=location))
        if answer.response is None:
            raise RuntimeError(f"cannot read the ledger of {record.name!r}: {answer.message}")
        return sum(item.OnHand for item in answer.response.items if item.Product == product)


def ledger_faults(record: TenantRecord, final: int) -> list[str]:
    """What the ledger's acknowledged values say was lost or doubled (empty: nothing)."""
    faults = []
    values = record.ledger_values
    if len(set(values)) != len(values):
        faults.append(f"{record.name}: two acknowledged +1s answered the same on-hand (one was lost)")
    if final < len(values):
        faults.append(f"{record.name}: on-hand {final} < {len(values)} acknowledged +1s")
    if final > len(values) + record.ledger_uncertain:
        faults.append(f"{record.name}: on-hand {final} > {len(values)} acknowledged + {record.ledger_uncertain} uncertain")
    if values and max(values) > final:
        faults.append(f"{record.name}: an acknowledged on-hand {max(values)} above the final {final}")
    return faults


def create_tenants(client: ClusterClient, address: str, names: list[str]) -> None:
    import grpc

    from domain.contracts.service_pb2 import CreateTenantReq, CreateTenantResp
    with grpc.insecure_channel(address) as channel:
        create = channel.unary_unary("/bf.TenantService/CreateTenant", CreateTenantReq.SerializeToString,
                                     CreateTenantResp.FromString)
        for name in names:
            create(CreateTenantReq(name=name), timeout=30)


@contextmanager
def cluster_under_load(project: Project, name: str, tenants: int, nodes: int = 3) -> Iterator[tuple[LocalCluster, Load]]:
    """A local cluster in a new temporary folder (3 NATS servers, `nodes` bf nodes, leases of 3 s) whose
    `tenants` tenants (`<name>-1`, ...) take the load, 8 calls in flight each, until the block ends."""
    cluster = LocalCluster(Path(tempfile.mkdtemp(prefix=f"bf-{name}-")), project.root, nodes, lease_seconds=3.0,
                           env=node_environment()).start()
    client = ClusterClient(cluster.addresses, Domain.load(project))
    try:
        names = [f"{name}-{n + 1}" for n in range(tenants)]
        create_tenants(client, cluster.addresses[0], names)
        load = Load(client, project.domain, names, 8, 1)
        load.start()
        yield cluster, load
        load.join()
    finally:
        client.close()
        cluster.stop()
