"""Where the project's parts are: read from `[tool.bf]` in pyproject.toml.

The workbench knows no domain by heart, so a second domain can use it too.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Project:
    root: Path
    domain: str = "domain"
    features: str = "domain.features"
    contracts: str = "domain.contracts"
    specs: str = "specs"
    themes: str = "themes"
    schema: str = "domain/schema.sql"
    spec_timeout: float = 5.0  # seconds a spec may run before it is stopped as a `timeout`

    @property
    def specs_dir(self) -> Path:
        return self.root / self.specs

    @property
    def themes_dir(self) -> Path:
        return self.root / self.themes

    @property
    def schema_path(self) -> Path:
        return self.root / self.schema

    @property
    def features_dir(self) -> Path:
        return self.root / Path(*self.features.split("."))

    @property
    def domain_dir(self) -> Path:
        return self.root / Path(*self.domain.split("."))

    def make_importable(self) -> None:
        root = str(self.root)
        if root not in sys.path:
            sys.path.insert(0, root)


_FIELDS = ("domain", "features", "contracts", "specs", "themes", "schema", "spec_timeout")
_NUMBERS = ("spec_timeout",)


def find_project(start: Path | None = None) -> Project:
    """The project whose pyproject.toml has `[tool.bf]`, at `start` or above it."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            settings = _read_settings(pyproject)
            if settings is not None:
                return Project(root=folder, **settings)
    raise ConfigError(f"no pyproject.toml with a [tool.bf] table at {start} or above it")


def _read_settings(pyproject: Path) -> dict[str, str] | None:
    try:
        data = tomllib.loads(pyproject.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{pyproject}: {error}") from None
    settings = data.get("tool", {}).get("bf")
    if settings is None:
        return None
    unknown = set(settings) - set(_FIELDS)
    if unknown:
        raise ConfigError(f"{pyproject}: unknown [tool.bf] setting(s): {', '.join(sorted(unknown))}; known: {', '.join(_FIELDS)}")
    return {key: _number(pyproject, key, value) if key in _NUMBERS else str(value) for key, value in settings.items()}


def _number(pyproject: Path, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{pyproject}: [tool.bf] {key} must be a number of seconds above 0, got {value!r}")
    return float(value)
