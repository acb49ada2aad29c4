"""`bf replay`: rebuild a tenant's state from its event log, with progress, and say how fast."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.bench.console import progress
from workbench.bench.replay import NoLog, replay
from workbench.commands.serve import DEFAULT_DATA
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.service.tenants import DEFAULT_TENANT, BadTenantName, check_tenant_name
from workbench.service.private_files import keep_files_private
from workbench.service.tenant import LOG_FILE
from workbench.tenancy.keyring import KeyringError
from workbench.tenancy.master_key import MasterKeyError
from workbench.tenancy.node import node_tenants
from workbench.tenancy.tenant_cipher import TenantCipher

EXIT_BAD_INPUT = 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("replay", help="rebuild a tenant's state from its event log (stop bf serve first)")
    parser.add_argument("tenant", nargs="?", default=DEFAULT_TENANT, help=f"the tenant (default {DEFAULT_TENANT})")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help=f"the folder bf serve keeps its tenants in (default: {DEFAULT_DATA}/ in the project)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    keep_files_private()
    try:
        name = check_tenant_name(args.tenant)
    except BadTenantName as error:
        print(f"bf replay: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    data = args.data or project.root / DEFAULT_DATA
    folder = data / "tenants" / name
    domain = Domain.load(project)
    try:
        cipher = _cipher(domain, data, name)  # before anything is removed: a wrong or missing key changes nothing
        with progress(f"replay {name}", total=None, unit="events") as update:
            replayed = replay(domain, folder, lambda done, total: update(done, total=total), cipher)
    except (NoLog, MasterKeyError, KeyringError) as error:
        print(f"bf replay: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"replayed {replayed.events:,} events of tenant {name} in {replayed.seconds:.2f} s: "
          f"{replayed.per_second:,.0f} events/s")
    return 0


def _cipher(domain: Domain, data: Path, name: str) -> TenantCipher | None:
    """The tenant's cipher when the data folder is encrypted (BF_MASTER_KEY, checked as `bf serve` checks it)."""
    pool, _ = node_tenants(domain, data)
    try:
        if pool.keyring is None:
            return None
        return TenantCipher.for_log(pool.keyring.keys(name), data / "tenants" / name / LOG_FILE, pool.cache_kib)
    finally:
        pool.close()
