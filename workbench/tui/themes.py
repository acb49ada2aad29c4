"""Themes are TOML files in the project's themes/ folder, turned into Textual themes.

A file that cannot be read or has a bad value is reported with its name and
what was wrong, and left out; the app then falls back to the default theme.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "bf-dark"
_COLOURS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground", "background",
            "surface", "panel", "boost")
_KNOWN = {f.name for f in fields(Theme)}


@dataclass
class LoadedThemes:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_themes(folder: Path) -> LoadedThemes:
    loaded = LoadedThemes()
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            loaded.themes.append(theme_from_file(path))
        except ValueError as error:
            loaded.problems.append(str(error))
    return loaded


def theme_from_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: {error}") from None
    unknown = set(data) - _KNOWN
    if unknown:
        raise ValueError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    for required in ("name", "primary"):
        if not isinstance(data.get(required), str):
            raise ValueError(f"{path}: `{required}` is missing (a string)")
    for name in _COLOURS:
        if name in data:
            try:
                Color.parse(data[name])
            except (ColorParseError, TypeError):
                raise ValueError(f"{path}: {name} = {data[name]!r} is not a colour") from None
    if not isinstance(data.get("variables", {}), dict):
        raise ValueError(f"{path}: [variables] must be a table")
    return Theme(**data)
