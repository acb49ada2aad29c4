"""TUI fixtures: a small project (`shop`) with fixture specs, some failing on
purpose, the real domain and themes; and an app on it fed by InProcessEngine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tui.in_process_engine import InProcessEngine
from workbench.config import find_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shop(project, tmp_path):
    root = tmp_path / "shop"
    root.mkdir()
    shutil.copy(project.root / "pyproject.toml", root)
    (root / "domain").symlink_to(project.root / "domain")
    shutil.copytree(FIXTURES / "specs", root / "specs")
    shutil.copytree(project.root / "themes", root / "themes")
    return find_project(root)


@pytest.fixture
def settings(tmp_path):
    return Settings(tmp_path / "config")


@pytest.fixture
def make_app(shop, settings):
    def make(**kwargs) -> WorkbenchApp:
        return WorkbenchApp(shop, settings=settings, engine=InProcessEngine(shop), **kwargs)
    return make
