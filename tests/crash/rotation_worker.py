"""A process that rotates tenant `shop`'s key while a thread keeps writing to it
(key rotation has no RPC: it runs where the data folder is). Prints `try` before
and `ack N` after each write, `done` when the rotation returned.

    python -m tests.crash.rotation_worker DATA MASTER_HEX SHELF PRODUCT
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from domain.contracts import inventory_pb2 as inv
from tests.conftest import ROOT
from workbench.config import find_project
from workbench.core.domain import Domain
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.pool import TenantPool
from workbench.tenancy.rotation import rotate_tenant_key


def main(data: str, master_hex: str, shelf: str, product: str) -> None:
    keyring = Keyring(Path(data) / "keys", bytes.fromhex(master_hex))
    pool = TenantPool(Domain.load(find_project(ROOT)), data, keyring)
    shop = pool.get("shop")
    stop = threading.Event()
    printing = threading.Lock()

    def say(line: str) -> None:
        with printing:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def write() -> None:
        while not stop.is_set():
            say("try")
            outcome = shop.execute(inv.UpdateInventoryReq(location=shelf, product=product, OnHandChange=1))
            say(f"ack {outcome.response.OnHand}")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(0.05)
    rotate_tenant_key(keyring, shop)
    say("done")
    stop.set()
    writer.join()
    pool.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
