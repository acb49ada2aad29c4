"""The main screen: the spec tree on the left; the selected spec, its
documentation and its diff on the right; the watch engine feeding verdicts."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Header, Input

from workbench.core.ids import show_uids
from workbench.specs.compare import Difference
from workbench.specs.formatter import format_spec
from workbench.specs.report import failure_text
from workbench.specs.runner import Verdict
from workbench.tui.keys import MAIN_KEYS, bindings
from workbench.tui.screens.catalogue import CatalogueScreen
from workbench.tui.screens.explore import ExploreScreen
from workbench.tui.screens.perf import PerfScreen
from workbench.tui.screens.server import ServerScreen
from workbench.tui.spec_index import SpecEntry
from workbench.tui.widgets.diff_view import DiffView
from workbench.tui.widgets.feature_doc import FeatureDoc
from workbench.tui.widgets.key_footer import KeyFooter
from workbench.tui.widgets.run_status import RunStatus
from workbench.tui.widgets.spec_tree import NodeData, SpecTree
from workbench.tui.widgets.spec_view import SpecView
from workbench.watch import events as ev


class MainScreen(Screen):
    BINDINGS = bindings(MAIN_KEYS)
    KEYS = MAIN_KEYS

    def __init__(self):
        super().__init__()
        self.chosen: NodeData | None = None

    @property
    def index(self):
        return self.app.index

    def compose(self) -> ComposeResult:
        yield Header()
        yield RunStatus(id="run-status")
        with Horizontal():
            with Vertical(id="browser"):
                yield Input(placeholder="filter: name, message type, field value", id="filter")
                yield SpecTree(self.index, id="spec-tree")
            with VerticalScroll(id="detail"):
                yield SpecView(id="spec-view")
                yield DiffView(id="diff-view")
                yield FeatureDoc(id="feature-doc")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one(DiffView).display = False
        tree = self.query_one(SpecTree)
        tree.rebuild(self.index.entries())
        tree.focus()
        self.follow_engine()

    # -- the engine's events ----------------------------------------------------

    @work(exclusive=True, group="engine")
    async def follow_engine(self) -> None:
        async for event in self.app.engine.events():
            try:
                self.on_engine_event(event)
            except NoMatches:  # the app is closing and took the widgets first
                return

    def on_engine_event(self, event: ev.Event) -> None:
        status = self.query_one(RunStatus)
        tree = self.query_one(SpecTree)
        if isinstance(event, ev.WatchStarted):
            status.watching = ", ".join(event.paths)
        elif isinstance(event, ev.RunStarted):
            count = len(event.selection)
            status.running = f"run {event.run}: " + ("every spec" if not count else f"{count} spec{'s' * (count > 1)}")
            previous, self.index.latest_run = self.index.latest_run, set()
            for spec_id in previous:
                tree.refresh_spec(spec_id)  # its reason belonged to the run before
        elif isinstance(event, ev.SpecsLoaded):
            if self.index.reload_file(self.app.project.root / event.file):
                tree.rebuild(self._filtered())
            status.unreadable = "; ".join(f"cannot read {error}" for error in self.index.unreadable())
        elif isinstance(event, ev.SpecFinished):
            self.index.verdicts[event.spec_id] = event.verdict
            self.index.reasons[event.spec_id] = event.reason
            self.index.latest_run.add(event.spec_id)
            tree.refresh_spec(event.spec_id)
            if self.chosen and self.chosen.key == event.spec_id:
                self.show_chosen()
        elif isinstance(event, ev.RunFinished):
            status.running = ""
            status.last_run = f"run {event.run}: {event.passed} passed, {event.failed} failed in {event.latency_ms:.0f} ms"
            if event.total:  # every spec, a spec of a file that no longer parses included
                status.last_run += f"; all {event.total}: {event.failing} not passing"
            broken = self.app.engine.broken
            stale = ["contracts stale: run bf protos"] if getattr(self.app.engine, "stale", None) else []
            status.broken = "  ".join([*stale, *([f"broken: {', '.join(broken)}"] if broken else [])])
            if self.chosen and self.chosen.kind != "spec":
                self.show_chosen()  # its counts changed
        elif isinstance(event, ev.Idle):  # after verdicts remembered from the last session too, with no run
            if not status.last_run and not status.running:
                status.last_run = f"all {event.total}: {event.failing} not passing"
            if self.chosen and self.chosen.kind != "spec":
                self.show_chosen()
        elif isinstance(event, ev.SpecRunning):
            status.running = f"run {event.run}: still running {event.spec_id}"
        elif isinstance(event, ev.RunCancelled):
            status.running = f"run {event.run} cancelled by a newer change"

    # -- the tree and the detail pane -------------------------------------------

    def _filtered(self) -> list[SpecEntry]:
        return self.index.matching(self.query_one("#filter", Input).value)

    def on_spec_tree_chosen(self, message: SpecTree.Chosen) -> None:
        self.chosen = message.data
        self.show_chosen()

    def show_chosen(self) -> None:
        view, diff, doc = self.query_one(SpecView), self.query_one(DiffView), self.query_one(FeatureDoc)
        data, index = self.chosen, self.index
        if data is None:
            return
        if data.kind == "spec":
            entry = index.entry(data.key)
            if entry is None:
                return
            verdict = index.verdicts.get(data.key)
            view.show_spec(entry, index.status(data.key), verdict, index.reasons.get(data.key))
            diff.show_verdict(entry.spec, verdict)
            doc.show(index.files.get(entry.file))
            return
        diff.display = False
        if data.kind == "file":
            view.show_file(index.files[data.key])
            doc.show(index.files[data.key])
        else:
            area = data.key.removeprefix("area:")
            counts = index.counts([e for e in index.entries() if index.files[e.file].area == area])
            view.show_text(f"{area}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
            doc.show(None)

    def show_spec(self, spec_id: str) -> None:
        """Select this spec, clearing a filter that hides it."""
        tree = self.query_one(SpecTree)
        if not tree.select(spec_id):
            self.action_clear_filter()
            tree.select(spec_id)
        tree.focus()

    def selected_entry(self) -> SpecEntry | None:
        if self.chosen is None or self.chosen.kind != "spec":
            self.notify("Choose a spec first.", severity="warning")
            return None
        return self.index.entry(self.chosen.key)

    # -- actions ------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.value = ""
        field.display = False
        self.query_one(SpecTree).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.query_one(SpecTree).rebuild(self._filtered())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(SpecTree).focus()

    def action_run_all(self) -> None:
        self.app.engine.run_all()

    def action_rerun_failed(self) -> None:
        self.app.engine.rerun_failed()

    def action_next_failure(self) -> None:
        tree = self.query_one(SpecTree)
        shown = tree.spec_ids()
        start = shown.index(self.chosen.key) + 1 if self.chosen and self.chosen.key in shown else 0
        for spec_id in shown[start:] + shown[:start]:
            if self.index.status(spec_id) in ("fail", "error", "timeout"):
                tree.select(spec_id)
                return
        self.notify("No failing spec.")

    def action_copy(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        verdict = self.index.verdicts.get(entry.spec_id)
        if verdict is None or verdict["status"] == "pass":
            self.app.copy_to_clipboard(show_uids(format_spec(entry.spec)))
            self.notify("Copied the spec.")
            return
        differences = [Difference(d["path"], d["expected"], d["actual"]) for d in verdict["differences"]]
        text = failure_text(Verdict(entry.spec, verdict["status"], differences, error=verdict.get("error")))
        self.app.copy_to_clipboard(text)
        self.notify("Copied the failure.")

    def action_edit_spec(self) -> None:
        if self.chosen is not None and self.chosen.kind == "file":
            self.app.open_in_editor(self.app.project.root / self.chosen.key, 1)
            return
        entry = self.selected_entry()
        if entry is not None:
            self.app.open_in_editor(entry.spec.path, entry.spec.line)

    def action_edit_feature(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        feature = self.app.domain.registry.feature_of.get(type(entry.spec.when))
        if feature is None:
            self.notify(f"No feature serves {type(entry.spec.when).__name__}.", severity="warning")
            return
        self.app.open_in_editor(feature.path, 1)

    def action_explore(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.app.push_screen(ExploreScreen(entry))

    def action_perf(self) -> None:
        if not self.app.is_screen_installed("perf"):
            self.app.install_screen(PerfScreen(), "perf")  # kept: leaving does not stop a run
        self.app.push_screen("perf")

    def action_server(self) -> None:
        if not self.app.is_screen_installed("server"):
            self.app.install_screen(ServerScreen(), "server")  # kept: the nodes typed and their history stay
        self.app.push_screen("server")

    def action_catalogue(self) -> None:
        self.app.push_screen(CatalogueScreen())
