"""The event catalogue: every request, response and event type with its
fields, and the specs that use it (Enter shows one in the spec browser)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList
from textual.widgets.option_list import Option

from workbench.tui.catalogue import INFRA, MessageInfo, build_catalogue
from workbench.tui.keys import CATALOGUE_KEYS, bindings
from workbench.tui.marks import mark
from workbench.tui.widgets.key_footer import KeyFooter
from workbench.tui.widgets.message_details import MessageDetails


class CatalogueScreen(Screen):
    BINDINGS = bindings(CATALOGUE_KEYS)
    KEYS = CATALOGUE_KEYS

    def __init__(self):
        super().__init__()
        self.infos: list[MessageInfo] = []
        self.current: MessageInfo | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="catalogue-list"):
                yield Input(placeholder="filter message types", id="catalogue-filter")
                yield OptionList(id="catalogue-messages")
            with Vertical(id="catalogue-detail"):
                yield MessageDetails(id="catalogue-fields")
                yield OptionList(id="catalogue-specs")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.infos = build_catalogue(self.app.domain.registry, self.app.index.entries())
        self._fill("")
        self.query_one("#catalogue-messages").focus()

    def _fill(self, text: str) -> None:
        needle = text.lower()
        listing = self.query_one("#catalogue-messages", OptionList)
        listing.clear_options()
        for info in self.infos:
            searchable = " ".join([info.name, info.kind, *(str(f) for f in info.fields)]).lower()
            if needle in searchable:
                count = "" if info.kind == INFRA else f"  {len(info.spec_ids)}"  # no spec is expected to use it
                label = Text.assemble((f"{info.kind:<9}", "italic bright_black"), info.name, (count, "bright_black"))
                listing.add_option(Option(label, id=info.name))
        if listing.option_count:
            listing.highlighted = 0

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id != "catalogue-messages":
            return
        self.current = next(info for info in self.infos if info.name == event.option.id)
        self.query_one(MessageDetails).show(self.current)
        specs = self.query_one("#catalogue-specs", OptionList)
        specs.clear_options()
        index = self.app.index
        for spec_id in self.current.spec_ids:
            entry = index.entry(spec_id)
            specs.add_option(Option(Text.assemble(mark(index.status(spec_id)), f" {entry.spec.name}  ",
                                                  (spec_id, "bright_black")), id=spec_id))
        if specs.option_count:
            specs.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "catalogue-specs":
            self._show_spec(event.option.id)
        else:
            self.query_one("#catalogue-specs").focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#catalogue-messages").focus()

    def action_filter(self) -> None:
        self.query_one("#catalogue-filter").focus()

    def action_open_spec(self) -> None:
        specs = self.query_one("#catalogue-specs", OptionList)
        if specs.highlighted is not None:
            self._show_spec(specs.get_option_at_index(specs.highlighted).id)

    def _show_spec(self, spec_id: str) -> None:
        self.app.pop_screen()
        self.app.show_spec(spec_id)
