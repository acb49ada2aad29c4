"""F1: every key of the screen underneath and of the app, as remapped."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from workbench.tui.keys import APP_KEYS, HELP_KEYS, Key, bindings


class HelpScreen(ModalScreen):
    BINDINGS = bindings(HELP_KEYS)
    KEYS = HELP_KEYS

    def __init__(self, screen_keys: tuple[Key, ...], focused_help: str | None = None):
        super().__init__()
        self.screen_keys = screen_keys
        self.focused_help = focused_help

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static("Keys  (F1 or Escape closes; remap them by id in keymap.toml, see README)", id="help-title")
            if self.focused_help:
                yield Static(self.focused_help, id="help-focused")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static("Mouse: click a spec, scroll any pane, click footer keys.", id="help-mouse")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "what it does", "id")
        for key in (*self.screen_keys, *APP_KEYS):
            table.add_row(self.app.key_for(key), key.help, key.id)
        table.focus()
