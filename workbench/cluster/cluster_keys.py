"""Encryption at rest in a cluster: tenant keys every node with the master key can unwrap.

Each tenant's key is made by the first node that opens the tenant, wrapped by the
master key exactly as the single node's keyring wraps it (keyring.py), and kept in
the KV bucket `bf_keys` (R3) under the tenant's name; a second node making it at
the same moment loses the KV `create` and reads the winner's. The bucket also
holds the master key's check value (key_check.py) under `_master-key-check` (not
a tenant name): a node whose key does not match it, a node without a key in a
cluster that has one, or a node with a key in a cluster kept in the clear,
refuses to start in one line. With the tenant key the events are sealed (sealing.py)
before they go to JetStream and into snapshots, and the node's cache of the log
and its state are encrypted as a single node's are (tenant_cipher.py).
"""

from __future__ import annotations

import hmac
import json
import secrets
from pathlib import Path

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from workbench.cluster.link import NatsLink, bucket, create_key, live_keys, through_leader
from workbench.tenancy.key_check import key_check_value
from workbench.tenancy.keyring import KEY_BYTES, Keyring, KeyringError, TenantKeys, require_tenant_id
from workbench.tenancy.master_key import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, MasterKeyError

KEYS_BUCKET = "bf_keys"
CHECK_KEY = "_master-key-check"


class ClusterKeyring(Keyring):
    """The single node's keyring with the KV bucket for a folder: `keys(tenant)` made on first use."""

    def __init__(self, link: NatsLink, master_key: bytes, replicas: int = 3):
        super().__init__(Path(f"nats-kv:{KEYS_BUCKET}"), master_key)
        self.link = link
        self.kv = bucket(link, KEYS_BUCKET, replicas)[0]

    def keys(self, tenant: str) -> TenantKeys:
        require_tenant_id(tenant)
        try:
            stored = json.loads(self.link.retrying(lambda: self.kv.get(tenant)).value)
        except KeyNotFoundError:
            return self.create(tenant)
        return self._unwrapped(tenant, stored)

    def _unwrapped(self, tenant: str, stored: dict) -> TenantKeys:
        versions = {int(v): self._unwrap(tenant, int(v), bytes.fromhex(w)) for v, w in stored["versions"].items()}
        return TenantKeys(tenant, int(stored["current"]), versions)

    def create(self, tenant: str) -> TenantKeys:
        keys = TenantKeys(require_tenant_id(tenant), 1, {1: secrets.token_bytes(KEY_BYTES)})
        stored = {"tenant": tenant, "current": 1, "versions": {"1": self._wrap(tenant, 1, keys.versions[1]).hex()}}
        try:  # sent again when unanswered: a first try that was stored then reads back as "theirs", equal to ours
            self.link.retrying(lambda: create_key(self.kv, tenant, json.dumps(stored).encode()))
        except KeyWrongLastSequenceError:  # another node made it first: use theirs
            return self._unwrapped(tenant, _stored(self.link, KEYS_BUCKET, tenant))
        return keys

    def has(self, tenant: str) -> bool:
        try:
            self.link.call(self.kv.get(require_tenant_id(tenant)))
        except KeyNotFoundError:
            return False
        return True

    def tenants(self) -> list[str]:
        return sorted(key for key in live_keys(self.link, KEYS_BUCKET) if key != CHECK_KEY)

    def shredded(self) -> list[str]:
        return []

    def rotate(self, tenant: str) -> TenantKeys:
        raise _not_yet()

    def retire(self, tenant: str, versions: list[int]) -> TenantKeys:
        raise _not_yet()

    def shred(self, tenant: str) -> None:
        raise _not_yet()


def _not_yet() -> KeyringError:
    return KeyringError("key rotation and shredding are not done in cluster mode yet (docs/cluster.md)")


def check_cluster_key(link: NatsLink, master_key: bytes | None, tenants_bucket: str, replicas: int = 3) -> None:
    """Raise MasterKeyError unless `master_key` (None: none given) is how the cluster is encrypted;
    the first node given a key in a cluster without tenants records its check value."""
    kv = bucket(link, KEYS_BUCKET, replicas)[0]
    try:
        remembered = json.loads(link.retrying(lambda: kv.get(CHECK_KEY)).value)["check"]
    except KeyNotFoundError:
        remembered = None
    if master_key is None:
        if remembered is not None:
            raise MasterKeyError(f"the cluster is encrypted and no master key was given: set {MASTER_KEY_ENV} or"
                                 f" {MASTER_KEY_FILE_ENV} to its key")
        return
    given = key_check_value(master_key)
    if remembered is None:
        if _has_tenants(link, tenants_bucket, replicas):
            raise MasterKeyError("the cluster keeps its tenants in the clear: start this node without a master"
                                 " key, or encrypt a new cluster")
        try:
            link.retrying(lambda: create_key(kv, CHECK_KEY, json.dumps({"check": given}).encode()))
            return
        except KeyWrongLastSequenceError:  # another node recorded one at the same moment: it must be ours
            remembered = _stored(link, KEYS_BUCKET, CHECK_KEY)["check"]
    if not hmac.compare_digest(remembered, given):
        raise MasterKeyError("the master key given is not the cluster's: its key check value"
                             f" (KV {KEYS_BUCKET}/{CHECK_KEY}) does not match")


def _stored(link: NatsLink, name: str, key: str) -> dict:
    """The JSON under `key`, which another node has just written: read from the leader, which has it."""
    return json.loads(link.retrying(lambda: through_leader(link, name).get(key)).value)


def _has_tenants(link: NatsLink, tenants_bucket: str, replicas: int) -> bool:
    bucket(link, tenants_bucket, replicas)
    return bool(live_keys(link, tenants_bucket))
