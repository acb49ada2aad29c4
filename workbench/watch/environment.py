"""What the code runs on besides the project's own files: `[tool.bf]` and the
installed packages' versions. No file watch covers them (site-packages is
large), so the engine asks every second; a look costs a few stat calls.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tomllib
from pathlib import Path

from workbench.config import Project


class Environment:
    def __init__(self, project: Project):
        self.project = project
        root = project.root.resolve()
        self._folders = [Path(p) for p in sys.path if p and Path(p).is_dir() and not Path(p).resolve().is_relative_to(root)]
        self._stamps = self._folder_stamps()
        self._packages = installed_packages(self._folders)
        self._settings = self._read_settings()
        self._key: str | None = None

    def changed(self) -> str | None:
        """What changed since the last look, in words; None when nothing did."""
        settings = self._read_settings()
        if settings != self._settings:
            self._settings = settings
            return "pyproject.toml: the [tool.bf] settings changed"
        stamps = self._folder_stamps()
        if stamps == self._stamps:
            return None
        self._stamps = stamps
        packages = installed_packages(self._folders)
        before, self._packages = self._packages, packages
        changes = [f"{name} {before.get(name, 'none')} -> {packages.get(name, 'none')}"
                   for name in sorted(set(before) | set(packages)) if before.get(name) != packages.get(name)]
        return "installed packages changed: " + ", ".join(changes) if changes else None

    def key(self, framework: list[Path]) -> str:
        """One string for everything here plus the framework's source: remembered verdicts hold while it holds.
        Kept until forget_key() (the engine calls it when any of it changed)."""
        if self._key is None:
            self._key = self._compute_key(framework)
        return self._key

    def forget_key(self) -> None:
        self._key = None

    def _compute_key(self, framework: list[Path]) -> str:
        digest = hashlib.blake2b(digest_size=12)
        digest.update(repr((sys.version, sorted(self._packages.items()), self._settings)).encode())
        for folder in framework:
            for path in sorted(folder.rglob("*.py")):
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def _folder_stamps(self) -> dict[Path, int]:
        stamps = {}
        for folder in self._folders:
            try:
                stamps[folder] = os.stat(folder).st_mtime_ns  # a package installed or removed changes it
            except OSError:
                stamps[folder] = 0
        return stamps

    def _read_settings(self) -> dict:
        try:
            return tomllib.loads((self.project.root / "pyproject.toml").read_text()).get("tool", {}).get("bf", {})
        except (OSError, tomllib.TOMLDecodeError) as error:
            return {"unreadable": str(error)}


def installed_packages(folders: list[Path]) -> dict[str, str]:
    """name -> version, from the `*.dist-info` folders of `folders`."""
    found = {}
    for folder in folders:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                name, _, version = entry.rsplit(".", 1)[0].partition("-")
                found[name.lower().replace("_", "-")] = version
    return found
