"""The data folder remembers how it is encrypted (issue 12, finding 6): a node started with
a wrong or missing master key, or with a key on a folder kept in the clear, refuses to
start with one line naming the problem, and changes nothing on disk."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from domain.contracts import inventory_pb2 as inv
from tests.conftest import ROOT
from workbench.tenancy.key_check import CHECK_FILE, KEYS_FOLDER
from workbench.tenancy.master_key import MasterKeyError
from workbench.tenancy.node import node_tenants

RIGHT, WRONG = "11" * 32, "22" * 32


def serve_once(domain, data: Path, key: str | None, tenants=("default",)) -> None:
    pool, _ = node_tenants(domain, data, environ={"BF_MASTER_KEY": key} if key else {})
    try:
        for name in tenants:
            pool.create(name)
            pool.get(name).execute(inv.AddProductsReq(skus=[f"sku-{name}"]))
    finally:
        pool.close()


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under `folder`: its mode, size, time and content hash."""
    seen = {}
    for path in sorted(folder.rglob("*")):
        info = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        seen[str(path.relative_to(folder))] = (info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return seen


def refusal(domain, data: Path, key: str | None) -> str:
    before = snapshot(data)
    with pytest.raises(MasterKeyError) as raised:
        node_tenants(domain, data, environ={"BF_MASTER_KEY": key} if key else {})
    assert snapshot(data) == before, "a refused start changed the data folder"
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_an_encrypted_folder_remembers_its_key_and_refuses_a_wrong_or_missing_one(domain, tmp_path):
    data = tmp_path / "data"
    serve_once(domain, data, RIGHT, tenants=("default", "shop"))
    assert (data / KEYS_FOLDER / CHECK_FILE).stat().st_mode & 0o777 == 0o600
    assert RIGHT not in (data / KEYS_FOLDER / CHECK_FILE).read_text()
    assert "is not the one" in refusal(domain, data, WRONG)
    assert "no master key was given" in refusal(domain, data, None)
    serve_once(domain, data, RIGHT, tenants=("shop",))  # the right key still opens it


def test_a_key_on_a_folder_kept_in_the_clear_is_refused(domain, tmp_path):
    data = tmp_path / "data"
    serve_once(domain, data, None, tenants=("default", "shop"))
    assert "2 tenant(s) in the clear (default, shop)" in refusal(domain, data, RIGHT)


def test_a_folder_encrypted_before_the_check_existed_is_checked_by_unwrapping_a_key(domain, tmp_path):
    data = tmp_path / "data"
    serve_once(domain, data, RIGHT)
    (data / KEYS_FOLDER / CHECK_FILE).unlink()
    assert "cannot unwrap" in refusal(domain, data, WRONG)
    assert "no master key was given" in refusal(domain, data, None)
    serve_once(domain, data, RIGHT)
    assert (data / KEYS_FOLDER / CHECK_FILE).exists()


def test_bf_serve_with_a_wrong_key_exits_with_one_line_and_never_prints_a_key(domain, tmp_path):
    data = tmp_path / "data"
    serve_once(domain, data, RIGHT)
    before = snapshot(data)
    environ = {**os.environ, "BF_MASTER_KEY": WRONG, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "serve", "--listen", "127.0.0.1:0",
                           "--data", str(data)], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("bf serve: the master key given (BF_MASTER_KEY)")
    assert "Traceback" not in done.stderr and done.stdout == ""
    for secret in (WRONG, RIGHT, bytes.fromhex(RIGHT).hex().upper()):
        assert secret not in done.stderr
    assert snapshot(data) == before
