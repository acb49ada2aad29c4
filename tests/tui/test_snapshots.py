"""Snapshots of the main screens at 80x24 and 160x48 (pytest-textual-snapshot;
`--snapshot-update` rewrites them after a deliberate change; look at the SVGs
before committing). The scenes are tests/tui/scenes.py, shared with the docs'
screenshots (docs/screenshots.py)."""

from __future__ import annotations

import pytest

from tests.tui import scenes


@pytest.mark.parametrize("size", scenes.SIZES)
@pytest.mark.parametrize("scene", ["main-failing-spec", "main-passing-spec", "catalogue", "explore"])
def test_screen(snap_compare, make_app, scene, size):
    assert snap_compare(make_app(), terminal_size=scenes.SIZES[size], run_before=scenes.SCENES[scene])


@pytest.mark.parametrize("scene", ["main-filtered", "help"])
def test_screen_at_80x24(snap_compare, make_app, scene):
    assert snap_compare(make_app(), terminal_size=scenes.SIZES["80x24"], run_before=scenes.SCENES[scene])
