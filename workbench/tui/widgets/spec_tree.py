"""The spec browser's tree: feature areas, spec files, specs, each with its
mark or its counts; rebuilt on filter, relabelled in place on each verdict."""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from workbench.tui.marks import counts_text, mark
from workbench.tui.spec_index import SpecEntry, SpecIndex


@dataclass(frozen=True)
class NodeData:
    kind: str  # "area", "file" or "spec"
    key: str  # "area:" + the area's name, the file, or the spec id


class SpecTree(Tree[NodeData]):
    HELP = ("The specs by area and file. Up and down move; Enter or a click opens a file; "
            "the pane on the right follows the cursor.")

    @dataclass
    class Chosen(Message):
        """The cursor is on a node: a spec, a file or an area."""

        data: NodeData

    def __init__(self, index: SpecIndex, **kwargs):
        super().__init__("specs", **kwargs)
        self.index = index
        self.show_root = False
        self.guide_depth = 2
        self._by_key: dict[str, TreeNode[NodeData]] = {}  # spec id / file / "area:" + area -> node
        self._members: dict[str, list[SpecEntry]] = {}  # file / "area:" + area -> the specs shown under it
        self._shown: list[SpecEntry] = []
        self._stale: set[str] = set()  # nodes to relabel at the next refresh

    def rebuild(self, entries: list[SpecEntry]) -> None:
        """Show these entries only, keeping the cursor on the same spec when it is still shown."""
        keep = self.cursor_node.data.key if self.cursor_node and self.cursor_node.data else None
        opened = {key for key, node in self._by_key.items() if node.is_expanded}
        self._shown = entries
        self.clear()
        self._by_key.clear()
        self._members.clear()
        expand = len(entries) < len(self.index.entries())  # a filter: show every match at once
        for area, files in self.index.grouped(entries).items():
            area_key = "area:" + area
            self._by_key[area_key] = area_node = self.root.add("", NodeData("area", area_key), expand=True)
            self._members[area_key] = [entry for file_entries in files.values() for entry in file_entries]
            for file, file_entries in files.items():
                self._by_key[file] = file_node = area_node.add("", NodeData("file", file),
                                                               expand=expand or file in opened)
                self._members[file] = file_entries
                for entry in file_entries:
                    self._by_key[entry.spec_id] = file_node.add_leaf("", NodeData("spec", entry.spec_id))
        self.refresh_labels()
        if keep in self._by_key:
            self._by_key[keep].parent.expand()  # the spec the cursor was on stays in sight
            self.call_after_refresh(self._go_to, self._by_key[keep])
        elif self.root.children:  # something is always chosen, so the right pane is never blank
            self.call_after_refresh(self._go_to, self.root.children[0])

    def refresh_labels(self) -> None:
        for node in self._by_key.values():
            node.set_label(self._label(node.data))

    def refresh_spec(self, spec_id: str) -> None:
        """A verdict came: relabel the spec, its file and its area, once per
        screen refresh however many verdicts arrive meanwhile."""
        node = self._by_key.get(spec_id)
        if not self._stale:
            self.call_after_refresh(self._relabel_stale)
        while node is not None and node.data is not None:
            self._stale.add(node.data.key)
            node = node.parent

    def _relabel_stale(self) -> None:
        stale, self._stale = self._stale, set()
        for key in stale:
            if key in self._by_key:
                self._by_key[key].set_label(self._label(self._by_key[key].data))

    def select(self, key: str) -> bool:
        """Put the cursor on a spec (by id) or a file; False when it is not shown."""
        node = self._by_key.get(key)
        if node is None:
            return False
        node.parent.expand()
        self.call_after_refresh(self._go_to, node)  # the tree lays out the expanded file first
        return True

    def _go_to(self, node: TreeNode[NodeData]) -> None:
        _ = self.last_line  # lays the lines out: a node added since has no line before that
        moved = self.cursor_line != node.line
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)
        if not moved:  # the tree says nothing when its cursor line stays: say it, the pane may be stale
            self.post_message(self.Chosen(node.data))

    def spec_ids(self) -> list[str]:
        """The specs shown, in tree order."""
        return [entry.spec_id for entry in self._shown]

    def _label(self, data: NodeData) -> Text:
        index = self.index
        if data.kind == "spec":
            entry = index.entry(data.key)
            name = entry.spec.name if entry else data.key
            label = Text.assemble(mark(index.status(data.key)), " ", name)
            reason = index.rerun_reason(data.key)
            if reason:
                label.append(f"  ← {reason}", style="italic bright_black")
            return label
        counts = counts_text(index.counts(self._members.get(data.key, [])))
        if data.kind == "file":
            file_entry = index.files.get(data.key)
            label = Text(data.key.rsplit("/", 1)[-1], style="bold")
            if file_entry and file_entry.error:
                return label.append(" (cannot read)", style="bold red")  # its old counts would be stale
            return label + counts
        return Text(data.key.removeprefix("area:"), style="bold underline") + counts

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        """The label, ending in `…` when the pane is too narrow for it (an 80-column
        terminal), instead of cut mid-word with a scrollbar under the tree."""
        label = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth - 1
        if room > 8 and label.cell_len > room:
            label.truncate(room, overflow="ellipsis")
        return label

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.Chosen(event.node.data))
