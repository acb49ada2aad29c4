"""TUI fixtures: a small project (`shop`) with fixture specs, some failing on
purpose, the real domain and themes; and an app on it fed by InProcessEngine."""

from __future__ import annotations

import pytest

from tests.tui.in_process_engine import InProcessEngine
from tests.tui.scenes import make_shop
from workbench.tui.app import WorkbenchApp
from workbench.tui.settings import Settings


@pytest.fixture
def shop(project, tmp_path):
    return make_shop(tmp_path, project)


@pytest.fixture
def settings(tmp_path):
    return Settings(tmp_path / "config")


@pytest.fixture
def make_app(shop, settings):
    def make(**kwargs) -> WorkbenchApp:
        return WorkbenchApp(shop, settings=settings, engine=InProcessEngine(shop), **kwargs)
    return make
