"""`bf explore SPEC`: run one spec and say first how it went (passed, failed with its
differences, rejected with its code, crashed with its traceback), then keep its final
state in a SQLite file and list it through Datasette (`--serve` keeps Datasette
running for a browser; `--steps` shows the state after every step)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
from pathlib import Path

from workbench.config import Project
from workbench.core.domain import Domain
from workbench.explore.cache import explore_files
from workbench.explore.pick import NoSuchSpec, pick_spec
from workbench.explore.step_text import exploration_json, json_default, step_lines
from workbench.explore.steps import Exploration, explore_spec
from workbench.specs.loader import load_specs
from workbench.specs.report import TextReport, relative
from workbench.specs.runner import ERROR, PASS
from workbench.watch.spec_ids import relative_file, spec_id

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CRASHED = 3


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("explore", help="run a spec, say how it went, and explore its state in Datasette")
    parser.add_argument("spec", metavar="SPEC", help="the spec's number (as `bf test` runs them), its id (specs/x.spec#2) or its name")
    parser.add_argument("--db", type=Path, metavar="FILE",
                        help="where to write the final state (default: .bf/explore/<spec id>.db in the project)")
    parser.add_argument("--steps", action="store_true",
                        help="time travel: the rows each GIVEN event and the WHEN changed, and a file per step")
    parser.add_argument("--serve", action="store_true", help="serve Datasette on 127.0.0.1 until Ctrl+C")
    parser.add_argument("--json", action="store_true", help="the verdict, the state file and the steps as one JSON object")
    parser.set_defaults(run=run)


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
    files = explore_files(project.root, spec_id(relative_file(project.root, spec.path), spec.number))
    shutil.rmtree(files.steps, ignore_errors=True)  # steps of an older run would lie
    exploration = explore_spec(domain, spec, args.db or files.state, files.steps if args.steps or args.serve else None)
    code = {PASS: 0, ERROR: EXIT_CRASHED}.get(exploration.verdict.status, EXIT_FAILED)
    if args.json:
        print(json.dumps(exploration_json(exploration), default=json_default))
        return code
    tell(exploration, args.steps)
    asyncio.run(_show(exploration, args.serve))
    return code


def tell(exploration: Exploration, steps: bool) -> None:
    """The outcome first, then (with --steps) every step, then where the state is."""
    TextReport(sys.stdout).verdict(exploration.verdict)
    if exploration.rejected:
        outcome = exploration.verdict.outcome
        print(f"    the request was rejected: {outcome.code.spec_name}"
              + (f" ({outcome.message})" if outcome.message else "") + "; the state is the GIVEN events' state")
    if exploration.verdict.status == ERROR:
        print("    the state is the one before the step that crashed")
    if steps:
        for step in exploration.steps:
            print()
            print("\n".join(step_lines(exploration, step)))
            if step.path:
                print(f"  state: {relative(step.path)}")
        print()
    print(f"state: {relative(exploration.state_path)}")


async def _show(exploration: Exploration, serve: bool) -> None:
    # Datasette takes half a second to import: only `bf explore` pays for it, not every `bf` command.
    from workbench.explore.server import ExploreServer
    from workbench.explore.sql_client import SqlClient

    steps = [step.path for step in exploration.steps if step.path]
    server = ExploreServer(exploration.state_path, steps)
    await server.start()
    for table in await SqlClient(server.datasette, server.database).tables():
        print(f"  {table.name}: {table.rows} row{'s' if table.rows != 1 else ''} ({', '.join(table.columns)})")
    if not serve:
        return
    say_rejected_queries()
    url = await server.serve()
    print(f"Datasette: {url}  (Ctrl+C stops)", flush=True)
    for path in steps:
        print(f"  after {path.stem}: {server.url_of(path.stem)}", flush=True)
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        pass
    finally:
        await server.stop()


def say_rejected_queries() -> None:
    """One line on stderr per query Datasette refuses (see workbench/explore/quiet_errors.py)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("datasette: %(message)s"))
    log = logging.getLogger("bf.datasette")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
