"""Every key of the workbench, as data: id, key, action, footer label, help.

The ids are what a keymap file remaps (see docs/app.md "Keys"); the help screen,
the footer and the command palette are all built from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    key: str
    action: str
    label: str  # short, for the footer and the palette
    help: str  # a sentence, for F1 and the palette
    show: bool = True  # in the footer
    priority: bool = False  # works even when a text input has focus
    footer: str | None = None  # a shorter label for the footer, so every key fits in 80 columns

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.footer or self.label, show=self.show, id=self.id,
                       priority=self.priority)


def bindings(keys: tuple[Key, ...]) -> list[Binding]:
    return [key.binding() for key in keys]


APP_KEYS = (
    Key("app.help", "f1", "help", "Help", "List every key of this screen and of the app.", priority=True),
    Key("app.palette", "ctrl+p", "command_palette", "Palette", "Every action, searchable.", show=False,
        priority=True),  # the footer shows it at its right end already
    Key("app.quit", "ctrl+q", "quit", "Quit", "Quit the workbench.", show=False, priority=True),
)

MAIN_KEYS = (
    Key("main.quit", "q", "app.quit", "Quit", "Quit the workbench.", show=False),  # known; the footer needs the room
    Key("main.filter", "slash", "filter", "Filter", "Filter specs by name, message type or field value."),
    Key("main.clear_filter", "escape", "clear_filter", "Clear", "Clear the filter and show every spec.", show=False),
    Key("main.run_all", "a", "run_all", "Run all", "Run every spec.", show=False),  # saves rerun it: seldom needed
    Key("main.rerun_failed", "f", "rerun_failed", "Rerun failed", "Run again the specs that failed or crashed.",
        footer="Failed"),
    Key("main.next_failure", "n", "next_failure", "Next failure", "Select the next spec that is not passing.",
        footer="Next ✘"),
    Key("main.copy", "y", "copy", "Copy", "Copy the selected failure as text (the spec's text when it passes).",
        show=False),
    Key("main.edit", "e", "edit_spec", "Edit", "Open the selected spec (or spec file) in $EDITOR, at its line."),
    Key("main.edit_feature", "E", "edit_feature", "Edit feature",
        "Open the feature that serves the selected spec's request in $EDITOR.", show=False),
    Key("main.explore", "x", "explore", "Explore", "Run the selected spec, keep its state and open it in Datasette."),
    Key("main.catalogue", "c", "catalogue", "Catalogue", "Every request, response and event type, and its specs.",
        footer="Types"),
    Key("main.perf", "p", "perf", "Perf", "Run the perf benchmark and watch specs/s and events/s."),
    Key("main.server", "s", "server", "Server",
        "Watch running bf serve nodes live: requests/s, latency, refusals, tenants (bf top).",
        show=False),  # in F1 and the palette: 80 columns of footer hold no more
)

CATALOGUE_KEYS = (
    Key("catalogue.back", "escape", "app.pop_screen", "Back", "Back to the specs."),
    Key("catalogue.filter", "slash", "filter", "Filter", "Filter message types by name or field."),
    Key("catalogue.open_spec", "enter", "open_spec", "Show spec", "Show the chosen spec in the spec browser."),
)

EXPLORE_KEYS = (
    Key("explore.back", "escape", "app.pop_screen", "Back", "Stop Datasette, remove the state files (unless kept), go back.",
        priority=True),
    Key("explore.steps", "ctrl+t", "steps", "Steps", "Go to the steps: up and down travel in time through the spec.",
        priority=True),
    Key("explore.export", "ctrl+s", "export", "Export", "Copy or save the results as CSV, JSON or Markdown.", priority=True),
    Key("explore.pick_history", "ctrl+r", "pick_history", "History", "Pick a query from the history (kept across runs).",
        priority=True),
    Key("explore.browser", "ctrl+o", "open_browser", "Browser", "Open this step's Datasette page in a browser (or say where to point one).",
        priority=True),
    Key("explore.copy_sql", "ctrl+y", "copy_sql", "Copy SQL", "Copy the query in the input.", priority=True, show=False),
    Key("explore.keep", "f2", "keep", "Keep", "Keep the state files when leaving (they are removed otherwise).", show=False),
    Key("explore.history_back", "up", "history(-1)", "Older", "Put the previous query of the history in the input.",
        show=False),
    Key("explore.history_forward", "down", "history(1)", "Newer", "Put the next query of the history in the input.",
        show=False),
)

PERF_KEYS = (
    Key("perf.back", "escape", "app.pop_screen", "Back", "Back to the specs (the benchmark keeps running)."),
    Key("perf.run", "r", "run_perf", "Run again", "Run the perf benchmark again."),
)

SERVER_KEYS = (
    Key("server.back", "escape", "leave", "Back", "Back to the specs (in bf top: quit)."),
    Key("server.quit", "q", "app.quit", "Quit", "Quit."),
    Key("server.sort", "s", "sort", "Sort", "Sort the tenant tables by the next figure: load, requests/s, errors/s, name."),
    Key("server.nodes", "n", "nodes", "Nodes", "Type the metrics addresses to watch (HOST:PORT, space-separated)."),
    Key("server.pause", "space", "pause", "Pause", "Stop refreshing the figures, or start again."),
)

HELP_KEYS = (
    Key("help.close", "escape", "app.pop_screen", "Close", "Close the help."),
)

ALL_KEYS = APP_KEYS + MAIN_KEYS + CATALOGUE_KEYS + EXPLORE_KEYS + PERF_KEYS + SERVER_KEYS + HELP_KEYS
