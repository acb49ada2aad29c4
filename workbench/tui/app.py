"""The workbench app: loads the project, themes and keymap, follows the watch
engine, and opens the main screen. Screens and widgets do the rest."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Iterable

from textual.app import App, SuspendNotSupported, SystemCommand
from textual.screen import Screen

from workbench.config import Project
from workbench.core.domain import Domain
from workbench.tui.keys import ALL_KEYS, APP_KEYS, Key, bindings
from workbench.tui.screens.help import HelpScreen
from workbench.tui.screens.main import MainScreen
from workbench.tui.settings import Settings
from workbench.tui.spec_index import SpecIndex
from workbench.tui.themes import DEFAULT_THEME, load_themes
from workbench.watch.engine import WatchEngine


class WorkbenchApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "bf workbench"
    BINDINGS = bindings(APP_KEYS)

    def __init__(self, project: Project, *, settings: Settings | None = None, engine=None):
        super().__init__()
        self.project = project
        self.settings = settings or Settings()
        self.domain = Domain.load(project)
        self.index = SpecIndex(project.root, project.specs_dir, self.domain.messages)
        self.index.load()
        self.engine = engine or WatchEngine(project)
        self.theme_names: list[str] = []

    def on_mount(self) -> None:
        self.sub_title = self.project.root.name
        self._load_themes()
        self._load_keymap()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.main_screen = MainScreen()
        self.push_screen(self.main_screen)

    # -- themes and keys -----------------------------------------------------------

    def _load_themes(self) -> None:
        loaded = load_themes(self.project.themes_dir)
        for theme in loaded.themes:
            self.register_theme(theme)
        self.theme_names = [theme.name for theme in loaded.themes]
        wanted = self.settings.remembered_theme()
        if wanted not in self.theme_names:
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.theme_names else "textual-dark"
        self.theme = wanted
        if loaded.problems:
            self.notify("\n".join(loaded.problems) + f"\nUsing the {wanted} theme.",
                        title="A theme file is broken", severity="error", timeout=10)

    def _remember_theme(self, theme) -> None:
        if theme.name in self.theme_names:
            self.settings.remember_theme(theme.name)

    def _load_keymap(self) -> None:
        keymap, problems = self.settings.keymap({key.id for key in ALL_KEYS})
        if keymap:
            self.set_keymap(keymap)
        if problems:
            self.notify("\n".join(problems), title="Keymap", severity="warning", timeout=10)

    def key_for(self, key: Key) -> str:
        """The key as remapped by the user's keymap, for display."""
        return self._keymap.get(key.id, key.key)

    # -- the palette and help -----------------------------------------------------

    def screen_keys(self, screen: Screen) -> tuple[Key, ...]:
        return getattr(screen, "KEYS", ())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for key in self.screen_keys(screen):
            if not key.action.startswith("app."):
                yield SystemCommand(key.label, f"{key.help}  [{self.key_for(key)}]",
                                    lambda key=key: screen.run_action(key.action))
        yield SystemCommand("Help", "List every key  [f1]", self.action_help)
        for name in self.theme_names:
            yield SystemCommand(f"Theme: {name}", "Use this theme (remembered)", lambda name=name: setattr(self, "theme", name))
        yield SystemCommand("Quit", "Quit the workbench", self.action_quit)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen(self.screen_keys(self.screen), self._focused_help()))

    def _focused_help(self) -> str | None:
        """The HELP of the focused widget or of the nearest widget around it that has one."""
        node = self.focused
        while node is not None and not getattr(node, "HELP", None):
            node = node.parent
        return node.HELP if node is not None else None

    async def action_quit(self) -> None:
        self.engine.stop()
        self.exit()

    def show_spec(self, spec_id: str) -> None:
        self.main_screen.show_spec(spec_id)

    # -- the editor ----------------------------------------------------------------

    def open_in_editor(self, path: Path, line: int) -> None:
        command = [*shlex.split(os.environ.get("EDITOR") or "vi"), f"+{line}", str(path)]
        try:
            with self.suspend():
                subprocess.run(command, check=False)
        except SuspendNotSupported:  # no real terminal (tests): run it anyway, without the screen
            subprocess.run(command, check=False, stdin=subprocess.DEVNULL, capture_output=True)
        except OSError as error:
            self.notify(f"Cannot start the editor {command[0]!r}: {error}", severity="error")
