"""The spec browser's tree: feature areas, spec files, specs, each with its
mark or its counts; rebuilt on filter, relabelled in place on each verdict."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from workbench.tui.marks import counts_text, mark
from workbench.tui.spec_index import SpecEntry, SpecIndex


@dataclass(frozen=True)
class NodeData:
    kind: str  # "area", "file" or "spec"
    key: str  # the area's name, the file, or the spec id


class SpecTree(Tree[NodeData]):
    @dataclass
    class Chosen(Message):
        """The cursor is on a node: a spec, a file or an area."""

        data: NodeData

    def __init__(self, index: SpecIndex, **kwargs):
        super().__init__("specs", **kwargs)
        self.index = index
        self.show_root = False
        self.guide_depth = 2
        self._by_key: dict[str, TreeNode[NodeData]] = {}  # spec id / file / area -> node
        self._shown: list[SpecEntry] = []

    def rebuild(self, entries: list[SpecEntry]) -> None:
        """Show these entries only, keeping the cursor on the same spec when it is still shown."""
        keep = self.cursor_node.data.key if self.cursor_node and self.cursor_node.data else None
        self._shown = entries
        self.clear()
        self._by_key.clear()
        expand = len(entries) < len(self.index.entries())  # a filter: show every match at once
        for area, files in self.index.grouped(entries).items():
            area_node = self.root.add("", NodeData("area", area), expand=True)
            self._by_key["area:" + area] = area_node
            for file, file_entries in files.items():
                file_node = area_node.add("", NodeData("file", file), expand=expand)
                self._by_key[file] = file_node
                for entry in file_entries:
                    self._by_key[entry.spec_id] = file_node.add_leaf("", NodeData("spec", entry.spec_id))
        self.refresh_labels()
        if keep in self._by_key:
            self.call_after_refresh(self._go_to, self._by_key[keep])

    def refresh_labels(self) -> None:
        for node in self._by_key.values():
            node.set_label(self._label(node.data))

    def refresh_spec(self, spec_id: str) -> None:
        """A verdict came: relabel the spec, its file and its area."""
        node = self._by_key.get(spec_id)
        while node is not None and node.data is not None:
            node.set_label(self._label(node.data))
            node = node.parent

    def select_spec(self, spec_id: str) -> bool:
        node = self._by_key.get(spec_id)
        if node is None:
            return False
        node.parent.expand()
        self.call_after_refresh(self._go_to, node)  # the tree lays out the expanded file first
        return True

    def _go_to(self, node: TreeNode[NodeData]) -> None:
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)

    def spec_ids(self) -> list[str]:
        """The specs shown, in tree order."""
        return [entry.spec_id for entry in self._shown]

    def _label(self, data: NodeData) -> Text:
        index = self.index
        if data.kind == "spec":
            entry = index.entry(data.key)
            name = entry.spec.name if entry else data.key
            return Text.assemble(mark(index.status(data.key)), " ", name)
        if data.kind == "file":
            file_entry = index.files.get(data.key)
            entries = [e for e in self._shown if e.file == data.key]
            label = Text(data.key.rsplit("/", 1)[-1], style="bold")
            if file_entry and file_entry.error:
                label.append(" (cannot read)", style="bold red")
            return label + counts_text(index.counts(entries))
        entries = [e for e in self._shown if index.files[e.file].area == data.key]
        return Text(data.key, style="bold underline") + counts_text(index.counts(entries))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.Chosen(event.node.data))
