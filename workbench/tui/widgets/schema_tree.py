"""The state's schema beside the console: tables with their row counts, their
columns with types (the primary key marked), and their indexes. Enter on a table
or column puts its name into the query."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree

from workbench.explore.sql_client import TableSummary


class SchemaTree(Tree[str]):
    HELP = "The state's tables (row counts), their columns with types (* primary key) and indexes. Enter on a name puts it in the query."

    @dataclass
    class NamePicked(Message):
        name: str

    def __init__(self, **kwargs):
        super().__init__("tables", **kwargs)
        self.show_root = False
        self.guide_depth = 2

    def show_tables(self, tables: list[TableSummary]) -> None:
        expanded = {node.data for node in self.root.children if node.is_expanded}
        self.clear()
        for table in tables:
            label = Text.assemble(table.name, (f" {table.rows}", "dim"))
            node = self.root.add(label, data=table.name, expand=table.name in expanded)
            for column in table.typed_columns:
                node.add_leaf(Text.assemble(("* " if column.primary_key else "  ") + column.name,
                                            (f" {column.type.lower()}", "dim")), data=column.name)
            if table.indexes:
                indexes = node.add("indexes", data=None)
                for index in table.indexes:
                    indexes.add_leaf(Text.assemble(index.name, (f" ({index.columns})" + (" unique" if index.unique else ""),
                                                                "dim")), data=None)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.NamePicked(event.node.data))
