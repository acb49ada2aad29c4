"""Each node says, about once a second, that it lives and how far each tenant it
holds has got: a JetStream KV bucket `bf_nodes` whose entries expire when a node
stops saying it. `bf cluster status` reads it."""

from __future__ import annotations

import json
import time

from workbench.cluster.link import NatsLink, bucket, live_keys

BUCKET = "bf_nodes"
FORGET_SECONDS = 10.0  # a node silent this long drops out of the bucket


def nodes_bucket(link: NatsLink, replicas: int = 3):
    return bucket(link, BUCKET, replicas, FORGET_SECONDS)[0]


def beat(link: NatsLink, kv, node: str, address: str, tenants: dict[str, dict]) -> None:
    """`tenants`: name -> {"role": "owner" | "replica", "position": int}."""
    value = {"address": address, "time": time.time(), "tenants": tenants}
    link.call(kv.put(node, json.dumps(value).encode()))


def read_nodes(link: NatsLink) -> dict[str, dict]:
    return {name: json.loads(value) for name, (value, _) in live_keys(link, BUCKET).items()}
