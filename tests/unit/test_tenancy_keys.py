"""Tenant keys wrapped by the master key; record sealing bound to tenant and position."""

from __future__ import annotations

import pytest

from workbench.tenancy.keyring import Keyring, KeyringError, TenantShredded, UnknownTenant
from workbench.tenancy.master_key import MasterKeyError, master_key_from_environment, new_master_key
from workbench.tenancy.sealing import Sealer, TamperedRecord

MASTER = bytes(range(32))


@pytest.fixture
def keyring(tmp_path):
    return Keyring(tmp_path / "keys", MASTER)


def test_a_tenant_key_is_stored_wrapped_and_unwraps_only_with_the_master_key(keyring, tmp_path):
    keys = keyring.create("acme")
    stored = (tmp_path / "keys" / "acme.key").read_bytes()
    assert keys.versions[1].hex().encode() not in stored and keys.versions[1] not in stored
    assert keyring.keys("acme") == keys
    with pytest.raises(KeyringError, match="wrong master key"):
        Keyring(tmp_path / "keys", bytes(32)).keys("acme")


def test_log_and_state_use_different_subkeys_per_version(keyring):
    keys = keyring.rotate(keyring.create("acme").tenant)
    assert len({keys.log_key(1), keys.log_key(2), keys.state_key(1), keys.state_key(2)}) == 4


def test_rotation_keeps_old_records_readable_until_retired(keyring):
    old = Sealer(keyring.create("acme"))
    record = old.seal(1, b"apple")
    rotated = Sealer(keyring.rotate("acme"))
    assert rotated.open(1, record) == b"apple"
    resealed = rotated.reseal(1, record)
    assert rotated.key_version(resealed) == 2
    retired = Sealer(keyring.retire("acme", [1]))
    assert retired.open(1, resealed) == b"apple"
    with pytest.raises(TamperedRecord, match="key version 1"):
        retired.open(1, record)


def test_shredding_makes_the_tenant_unreadable_and_says_so(keyring, tmp_path):
    keyring.create("acme")
    keyring.shred("acme")
    assert not (tmp_path / "keys" / "acme.key").exists()
    with pytest.raises(TenantShredded, match="'acme' was shredded"):
        keyring.keys("acme")
    with pytest.raises(TenantShredded):
        keyring.create("acme")
    with pytest.raises(UnknownTenant, match="'other' has no key"):
        keyring.keys("other")


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", "x" * 65, "-lead"])
def test_bad_tenant_ids_are_refused(keyring, bad):
    with pytest.raises(KeyringError, match="bad tenant id"):
        keyring.create(bad)


@pytest.mark.parametrize("change", [
    lambda sealed: sealed[:-1] + bytes([sealed[-1] ^ 1]),      # a flipped bit
    lambda sealed: sealed[:-20],                              # truncated
])
def test_an_altered_record_names_tenant_and_position(keyring, change):
    sealer = Sealer(keyring.create("acme"))
    with pytest.raises(TamperedRecord, match=r"tenant 'acme': event log record at position 7"):
        sealer.open(7, change(sealer.seal(7, b"apple")))


def test_a_record_moved_to_another_position_generation_or_tenant_does_not_open(keyring):
    acme = Sealer(keyring.create("acme"))
    record = acme.seal(3, b"apple")
    with pytest.raises(TamperedRecord, match="position 4"):
        acme.open(4, record)
    with pytest.raises(TamperedRecord):
        Sealer(acme.keys, generation=1).open(3, record)
    other = keyring.create("other")
    with pytest.raises(TamperedRecord):
        Sealer(type(other)("other", 1, acme.keys.versions)).open(3, record)


def test_the_master_key_comes_from_the_environment_or_a_file(tmp_path):
    key = new_master_key()
    assert master_key_from_environment({"BF_MASTER_KEY": key}) == bytes.fromhex(key)
    (tmp_path / "master").write_text(key + "\n")
    assert master_key_from_environment({"BF_MASTER_KEY_FILE": str(tmp_path / "master")}) == bytes.fromhex(key)
    with pytest.raises(MasterKeyError, match="BF_MASTER_KEY: a master key is 64 hex digits"):
        master_key_from_environment({"BF_MASTER_KEY": "short"})
    with pytest.raises(MasterKeyError, match="no master key"):
        master_key_from_environment({})
