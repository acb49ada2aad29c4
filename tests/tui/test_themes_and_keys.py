"""Themes from files (chosen in the palette, remembered, broken ones reported
once) and keys remapped by id from keymap.toml."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.pilot_helpers import press, running, settle
from workbench.tui.themes import load_themes


def recording_notifications(app) -> list[tuple[str, str]]:
    calls = []
    original = app.notify

    def notify(message, *, title="", severity="information", **kwargs):
        calls.append((title, message))
        return original(message, title=title, severity=severity, **kwargs)

    app.notify = notify
    return calls


def test_the_project_has_dark_light_and_high_contrast_themes(project):
    loaded = load_themes(project.themes_dir)
    assert loaded.problems == []
    assert {(t.name, t.dark) for t in loaded.themes} == {("bf-dark", True), ("bf-light", False),
                                                         ("bf-high-contrast", True)}


async def test_a_theme_chosen_in_the_palette_is_remembered(make_app):
    app = make_app()
    async with running(app) as pilot:
        assert app.theme == "bf-dark"
        await press(pilot, "ctrl+p")
        await press(pilot, *"theme: bf-light", "enter")
        assert app.theme == "bf-light"
    assert app.settings.remembered_theme() == "bf-light"
    again = make_app()
    async with running(again) as pilot:
        await settle(pilot)
        assert again.theme == "bf-light"


async def test_a_broken_theme_file_gives_one_notification_and_the_default_theme(make_app, shop, settings):
    (shop.themes_dir / "light.toml").write_text('name = "bf-light"\nprimary = "not a colour"\n')
    (shop.themes_dir / "zebra.toml").write_text("name = [unclosed\n")
    settings.remember_theme("bf-light")
    app = make_app()
    calls = recording_notifications(app)
    async with running(app):
        assert app.theme == "bf-dark"
        theme_calls = [call for call in calls if "theme" in call[0].lower()]
        assert len(theme_calls) == 1
        message = theme_calls[0][1]
        assert "light.toml: primary = 'not a colour' is not a colour" in message
        assert "zebra.toml" in message and "line 1" in message
        assert "Using the bf-dark theme." in message


async def test_keys_are_remapped_by_binding_id(make_app, settings):
    settings.folder.mkdir(parents=True)
    (settings.folder / "keymap.toml").write_text('[keys]\n"main.run_all" = "r"\n"main.nothing" = "z"\n')
    app = make_app()
    calls = recording_notifications(app)
    async with running(app) as pilot:
        await press(pilot, "r")
        assert app.engine.asked == ["run_all"]
        await pilot.press("a")  # the old key no longer runs anything
        await settle(pilot)
        assert app.engine.asked == ["run_all"]
        assert any("unknown binding id 'main.nothing'" in message for _, message in calls)
        await press(pilot, "f1")
        table = app.screen.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert ["r", "Run every spec.", "main.run_all"] in [list(map(str, row)) for row in rows]
