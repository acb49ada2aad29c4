"""`bf test`: run the project's specs, or a bundle file, locally or against a server."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from workbench.commands.protos import STALE, stale_contracts
from workbench.config import Project
from workbench.core.domain import Domain
from workbench.specs.loader import load_specs, matching
from workbench.specs.report import JsonReport, TextReport
from workbench.specs.runner import ERROR, Verdict, run_specs
from workbench.specs.sandbox import SpecSandbox

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("test", help="run specs and report every difference")
    parser.add_argument("paths", nargs="*", type=Path, help="spec files or folders (default: the project's specs)")
    parser.add_argument("-k", dest="keyword", metavar="TEXT", help="only specs whose name or file contains TEXT")
    parser.add_argument("--bundle", type=Path, metavar="FILE", help="run the specs of a bundle file")
    parser.add_argument("--json", action="store_true", help="one JSON object per spec, for tools")
    parser.add_argument("--target", metavar="ADDR",
                        help="run each spec through the SpecService at ADDR (host:port or unix:/path), any implementation")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    domain = Domain.load(project)
    paths = list(args.paths) or ([] if args.bundle else [project.specs_dir])
    if args.bundle:
        paths.append(args.bundle)
    loaded = load_specs(paths, domain.messages)
    for error in loaded.errors:
        print(f"bf test: {error}", file=sys.stderr)
    for broken in domain.registry.broken:
        print(f"bf test: broken feature: {broken.error}", file=sys.stderr)
    stale = [] if args.bundle or args.paths else stale_contracts(project)
    for problem in stale:
        print(f"bf test: {STALE}: {problem}", file=sys.stderr)
    specs = matching(loaded.specs, args.keyword)
    if args.keyword and loaded.specs and not specs:
        print(f"bf test: no spec's name or file contains {args.keyword!r} (of {len(loaded.specs)} specs)",
              file=sys.stderr)
    report = JsonReport() if args.json else TextReport()
    passed = failed = 0
    for spec, error in loaded.unparsed:  # each spec of a malformed file counts, as an error
        if matching([spec], args.keyword):
            report.verdict(Verdict(spec, ERROR, error=unparsed_error(error)))
            failed += 1
    if args.target:
        from workbench.service.remote_target import RemoteError, RemoteTarget  # gRPC only when asked for

        target = RemoteTarget(args.target, domain.messages)
        try:
            target.about()
        except RemoteError as error:
            print(f"bf test: cannot reach the SpecService: {error}", file=sys.stderr)
            return EXIT_UNREACHABLE
    else:
        try:
            target = SpecSandbox(domain)
        except sqlite3.Error as error:  # every spec needs the state: each one is this error
            print(f"bf test: the schema does not load: {project.schema}: {error}", file=sys.stderr)
            target = _Unusable(f"the schema does not load: {project.schema}: {error}")
    for verdict in run_specs(specs, target, domain.registry, None if args.target else project.spec_timeout):
        report.verdict(verdict)
        if verdict.passed:
            passed += 1
        else:
            failed += 1
    report.summary(passed, failed)
    if loaded.errors:
        return EXIT_BAD_INPUT
    return 0 if failed == 0 and not stale and (specs or not loaded.files) else EXIT_FAILED


class _Unusable:
    """A target every spec fails on, for the same reason."""

    def __init__(self, why: str):
        self.why = why

    def run(self, given, when, next_uid):
        raise RuntimeError(self.why)


def unparsed_error(error: Exception) -> str:
    return f"its spec file does not parse: {error}\n"
