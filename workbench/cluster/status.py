"""What `bf cluster status` shows: the nodes that say they live, every tenant with
its owner, the head of its log on JetStream and how far behind each node's copy is."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from nats.js.errors import NotFoundError

from workbench.cluster.heartbeats import read_nodes
from workbench.cluster.leases import Leases
from workbench.cluster.link import NatsLink, bucket, live_keys
from workbench.cluster.replicated_log import STREAM, decode_group, subject_of
from workbench.cluster.cluster_tenants import TENANTS_BUCKET


@dataclass
class TenantStatus:
    name: str
    owner: str  # the node holding its lease, "-" when none does
    head: int  # the last position of its log on JetStream
    positions: dict[str, int] = field(default_factory=dict)  # node -> the position its copy has reached

    @property
    def lag(self) -> int | None:
        """Events the owner's copy is behind the log (None when no owner reported)."""
        return self.head - self.positions[self.owner] if self.owner in self.positions else None

    @property
    def copies(self) -> str:
        """The warm copies, each with how many events it is behind the log's head."""
        return " ".join(f"{node}:{self.head - position}" for node, position in sorted(self.positions.items())
                        if node != self.owner) or "-"


def head_position(link: NatsLink, tenant: str) -> int:
    try:
        message = link.call(link.js.get_msg(STREAM, subject=subject_of(tenant), direct=True))
    except NotFoundError:
        return 0
    events = decode_group(message.data)
    return events[-1].position if events else 0


def cluster_status(link: NatsLink) -> tuple[dict[str, dict], list[TenantStatus]]:
    nodes = read_nodes(link)
    owners = Leases(link, "status", "").all_owners()
    bucket(link, TENANTS_BUCKET)  # made when no node has started yet: an empty list, not a wait
    names = sorted(live_keys(link, TENANTS_BUCKET))
    tenants = []
    for name in names:
        status = TenantStatus(name, owners[name].node if name in owners else "-", head_position(link, name))
        for node, seen in nodes.items():
            if name in seen.get("tenants", {}):
                status.positions[node] = seen["tenants"][name]["position"]
        tenants.append(status)
    return nodes, tenants


def seconds_since(beat: dict) -> float:
    return max(0.0, time.time() - beat.get("time", 0.0))
