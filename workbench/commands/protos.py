"""`bf protos`: regenerate the Python modules of the domain's .proto contracts."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from workbench.config import Project


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("protos", help="regenerate the contracts' Python modules from their .proto files")
    parser.set_defaults(run=run)


def proto_files(project: Project) -> list[Path]:
    folder = project.root / Path(*project.contracts.split("."))
    return sorted(folder.glob("*.proto"))


def generate(project: Project, out_dir: Path) -> None:
    """Run protoc on the contracts, writing generated modules under `out_dir`
    (which mirrors the project root, so imports read `from domain.contracts import ...`)."""
    from grpc_tools import protoc  # only this command needs the compiler
    import grpc_tools

    include = str(Path(grpc_tools.__file__).parent / "_proto")
    sources = [str(p.relative_to(project.root)) for p in proto_files(project)]
    arguments = ["protoc", f"-I{project.root}", f"-I{include}", f"--python_out={out_dir}", f"--pyi_out={out_dir}",
                 f"--grpc_python_out={out_dir}", *sources]
    if protoc.main(arguments) != 0:
        raise RuntimeError(f"protoc failed on {', '.join(sources)}")


STALE = "contracts stale: run bf protos"


def stale_contracts(project: Project) -> list[str]:
    """What is out of date between the .proto files and their generated modules
    (empty when they match), by generating them afresh (about 15 ms)."""
    contracts = project.root / Path(*project.contracts.split("."))
    if not proto_files(project):
        return []
    with tempfile.TemporaryDirectory() as out:
        try:
            generate(project, Path(out))
        except RuntimeError as error:
            return [str(error)]
        fresh_dir = Path(out) / contracts.relative_to(project.root)
        stale = []
        for fresh in sorted(fresh_dir.iterdir()):
            committed = contracts / fresh.name
            if not committed.exists():
                stale.append(f"{committed.relative_to(project.root)} is missing")
            elif committed.read_bytes() != fresh.read_bytes():
                stale.append(f"{committed.relative_to(project.root)} is older than its .proto")
        return stale


def run(args: argparse.Namespace, project: Project) -> int:
    try:
        generate(project, project.root)
    except RuntimeError as error:
        print(f"bf protos: {error}", file=sys.stderr)
        return 1
    for path in proto_files(project):
        print(f"generated {path.stem}_pb2.py, {path.stem}_pb2.pyi, {path.stem}_pb2_grpc.py")
    return 0
