"""What the app remembers between runs (the theme) and the user's keymap,
in the user's config folder: $BF_CONFIG_DIR, else $XDG_CONFIG_HOME/bf, else ~/.config/bf."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SETTINGS_FILE = "settings.json"
KEYMAP_FILE = "keymap.toml"
SQL_HISTORY_FILE = "sql_history.json"
SQL_HISTORY_KEPT = 500


def config_dir() -> Path:
    if os.environ.get("BF_CONFIG_DIR"):
        return Path(os.environ["BF_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "bf"


@dataclass
class Settings:
    folder: Path = field(default_factory=config_dir)

    def remembered_theme(self) -> str | None:
        try:
            return json.loads((self.folder / SETTINGS_FILE).read_text()).get("theme")
        except (OSError, ValueError, AttributeError):
            return None  # nothing remembered yet, or a file we cannot use: start fresh

    def remember_theme(self, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / SETTINGS_FILE).write_text(json.dumps({"theme": name}, indent=2) + "\n")

    def keymap(self, known_ids: set[str]) -> tuple[dict[str, str], list[str]]:
        """`[keys]` of keymap.toml: binding id -> key(s); and one problem per bad entry."""
        path = self.folder / KEYMAP_FILE
        if not path.exists():
            return {}, []
        try:
            keys = tomllib.loads(path.read_text(encoding="utf-8")).get("keys", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            return {}, [f"{path}: {error}"]
        keymap, problems = {}, []
        for binding_id, key in keys.items():
            if binding_id not in known_ids:
                problems.append(f"{path}: unknown binding id {binding_id!r}")
            elif not isinstance(key, str) or not key.strip():
                problems.append(f"{path}: {binding_id} needs a key such as \"ctrl+r\"")
            else:
                keymap[binding_id] = key
        return keymap, problems

    def sql_history(self) -> list[str]:
        """The console's queries of earlier runs, oldest first."""
        try:
            history = json.loads((self.folder / SQL_HISTORY_FILE).read_text())
        except (OSError, ValueError):
            return []
        return [sql for sql in history if isinstance(sql, str)] if isinstance(history, list) else []

    def remember_sql_history(self, history: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / SQL_HISTORY_FILE
        path.write_text(json.dumps(history[-SQL_HISTORY_KEPT:], indent=1) + "\n")
        path.chmod(0o600)  # queries can hold what a user typed: theirs alone
