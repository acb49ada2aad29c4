"""`bf explore SPEC`: run one spec, keep its final state in a SQLite file,
and show it through Datasette (`--serve` keeps Datasette running for a browser)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from pathlib import Path

from workbench.config import Project
from workbench.core.domain import Domain
from workbench.explore.pick import NoSuchSpec, pick_spec
from workbench.explore.state_file import export_state
from workbench.specs.loader import load_specs
from workbench.specs.model import Spec

EXIT_BAD_INPUT = 2
EXIT_CRASHED = 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("explore", help="run a spec and explore its final state in Datasette")
    parser.add_argument("spec", metavar="SPEC", help="the spec's number (as `bf test` runs them), its id (specs/x.spec#2) or its name")
    parser.add_argument("--db", type=Path, metavar="FILE", help="where to write the state (default: a temporary folder)")
    parser.add_argument("--serve", action="store_true", help="serve Datasette on 127.0.0.1 until Ctrl+C")
    parser.set_defaults(run=run)


def default_db_path(spec: Spec) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", spec.name.lower()).strip("-") or "spec"
    return Path(tempfile.gettempdir()) / "bf-explore" / f"{slug}.db"


def run(args: argparse.Namespace, project: Project) -> int:
    domain = Domain.load(project)
    loaded = load_specs([project.specs_dir], domain.messages)
    for error in loaded.errors:
        print(f"bf explore: {error}", file=sys.stderr)
    try:
        spec = pick_spec(loaded.specs, args.spec, project.root)
    except NoSuchSpec as error:
        print(f"bf explore: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    path = args.db or default_db_path(spec)
    try:
        export_state(domain, spec, path)
    except Exception as error:  # a broken feature: say where, no traceback
        print(f"bf explore: {spec.name} ({spec.location}) crashed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_CRASHED
    print(f"{spec.name} ({spec.location})")
    print(f"state: {path}")
    return asyncio.run(_show(path, args.serve))


async def _show(path: Path, serve: bool) -> int:
    # Datasette takes half a second to import: only `bf explore` pays for it, not every `bf` command.
    from workbench.explore.server import ExploreServer
    from workbench.explore.sql_client import SqlClient

    server = ExploreServer(path)
    await server.start()
    for table in await SqlClient(server.datasette, server.database).tables():
        print(f"  {table.name}: {table.rows} row{'s' if table.rows != 1 else ''} ({', '.join(table.columns)})")
    if not serve:
        return 0
    url = await server.serve()
    print(f"Datasette: {url}  (Ctrl+C stops)", flush=True)
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        pass
    finally:
        await server.stop()
    return 0
