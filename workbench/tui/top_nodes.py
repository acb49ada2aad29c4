"""The nodes the Server screen watched last, kept in the config folder: `s` in
the app (or `bf top` without addresses) watches them again."""

from __future__ import annotations

import json
from pathlib import Path

NODES_FILE = "top-nodes.json"


def remembered_nodes(folder: Path) -> list[str]:
    try:
        nodes = json.loads((folder / NODES_FILE).read_text())
    except (OSError, ValueError):
        return []  # nothing remembered yet, or a file we cannot use
    return [node for node in nodes if isinstance(node, str)] if isinstance(nodes, list) else []


def remember_nodes(folder: Path, nodes: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / NODES_FILE
    path.write_text(json.dumps(nodes) + "\n")
    path.chmod(0o600)
