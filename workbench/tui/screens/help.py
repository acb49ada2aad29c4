"""F1: every key of the screen underneath and of the app, as remapped."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from workbench.tui.keys import APP_KEYS, HELP_KEYS, Key, bindings


HELP_WIDTH = 0.9  # of the screen: #help in app.tcss


class HelpScreen(ModalScreen):
    BINDINGS = bindings(HELP_KEYS)
    KEYS = HELP_KEYS

    def __init__(self, screen_keys: tuple[Key, ...], focused_help: str | None = None):
        super().__init__()
        self.screen_keys = screen_keys
        self.focused_help = focused_help

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static("Keys  (F1 or Escape closes; remap them by id in keymap.toml, see docs/app.md)", id="help-title")
            if self.focused_help:
                yield Static(self.focused_help, id="help-focused")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static("Mouse: click a spec, scroll any pane, click footer keys.", id="help-mouse")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        keys = (*self.screen_keys, *APP_KEYS)
        shown = [self.app.key_for(key) for key in keys]
        # The help column takes the room the others leave, and wraps in it (80 columns cut it otherwise).
        room = int(self.app.size.width * HELP_WIDTH) - max(map(len, shown)) - max(len(k.id) for k in keys) - 14
        width = max(20, min(room, max(len(key.help) for key in keys)))
        table.add_column("key")
        table.add_column("what it does", width=width)
        table.add_column("id")
        for key, key_shown in zip(keys, shown):
            table.add_row(key_shown, Text(key.help), key.id, height=None)
        table.focus()
