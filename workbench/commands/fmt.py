"""`bf fmt`: rewrite spec files in their canonical form, the text the formatter writes.

Canonical form is what `bf test` round-trips byte for byte: one blank line after
the file's comments, after each spec and before every `====` line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.config import Project
from workbench.core.domain import Domain
from workbench.specs.formatter import format_spec_file
from workbench.specs.loader import load_specs

EXIT_WOULD_CHANGE = 1
EXIT_BAD_INPUT = 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("fmt", help="rewrite spec files in canonical form")
    parser.add_argument("paths", nargs="*", type=Path, help="spec files or folders (default: the project's specs)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file is not canonical")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    loaded = load_specs(list(args.paths) or [project.specs_dir], Domain.load(project).messages)
    for error in loaded.errors:
        print(f"bf fmt: {error}", file=sys.stderr)
    changed = 0
    for spec_file in loaded.files:
        canonical = format_spec_file(spec_file)
        if canonical == spec_file.path.read_text(encoding="utf-8"):
            continue
        changed += 1
        if args.check:
            print(f"would reformat {spec_file.path}")
        else:
            spec_file.path.write_text(canonical, encoding="utf-8")
            print(f"reformatted {spec_file.path}")
    verb = "would be reformatted" if args.check else "reformatted"
    print(f"{changed} {verb}, {len(loaded.files) - changed} already canonical")
    if loaded.errors:
        return EXIT_BAD_INPUT
    return EXIT_WOULD_CHANGE if args.check and changed else 0
