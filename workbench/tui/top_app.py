"""`bf top`: the app's Server screen on its own, with the app's themes, keymap,
palette and F1, but no specs, watch engine or domain to load."""

from __future__ import annotations

from textual.app import App

from workbench.config import Project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.server import REFRESH_SECONDS, ServerScreen
from workbench.tui.settings import Settings


class TopApp(App):
    CSS_PATH = WorkbenchApp.CSS_PATH
    TITLE = "bf top"
    BINDINGS = WorkbenchApp.BINDINGS
    # The workbench app's themes, keymap, palette and F1, shared as they are: they
    # need only the project, the settings and the theme names. (Subclassing it would
    # run its start-up too: Textual calls every class's on_mount.)
    _load_themes = WorkbenchApp._load_themes
    _remember_theme = WorkbenchApp._remember_theme
    _load_keymap = WorkbenchApp._load_keymap
    key_for = WorkbenchApp.key_for
    screen_keys = WorkbenchApp.screen_keys
    get_system_commands = WorkbenchApp.get_system_commands
    action_help = WorkbenchApp.action_help
    _focused_help = WorkbenchApp._focused_help

    def __init__(self, project: Project, addresses: list[str], *, settings: Settings | None = None,
                 refresh: float = REFRESH_SECONDS):
        super().__init__()
        self.project = project
        self.settings = settings or Settings()
        self.theme_names: list[str] = []
        self.addresses = addresses
        self.refresh_seconds = refresh

    def on_mount(self) -> None:
        self.sub_title = "Server"
        self._load_themes()
        self._load_keymap()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.push_screen(ServerScreen(self.addresses, self.refresh_seconds))

