"""The console's parts without an app: completion from a schema, highlighting,
and the export formats."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.text import Text

from workbench.explore.result_export import as_csv, as_json, as_markdown
from workbench.tui.sql_completion import Schema, complete
from workbench.tui.sql_highlight import SqlHighlighter

SCHEMA = Schema({"products": ["uid", "sku"], "locations": ["uid", "name", "parent"], "stock": ["on_hand"]})


@pytest.mark.parametrize("typed, completed", [
    ("sel", "select"),
    ("SEL", "SELECT"),
    ("select sk", "select sku"),
    ("select on", "select on_hand"),
    ("select * from pro", "select * from products"),
    ("select * from products p join lo", "select * from products p join locations"),
    ("select locations.pa", "select locations.parent"),
    ("select locations.", "select locations.uid"),
    ("select * from products where sku = 'x' ord", "select * from products where sku = 'x' order by"),
    ("select xyz", None),
    ("select sku", None),  # complete already
    ("", None),
])
def test_the_word_being_typed_completes_from_the_schema_and_keywords(typed, completed):
    assert complete(typed, SCHEMA) == completed


def test_after_from_only_tables_complete():
    assert complete("select * from s", SCHEMA) == "select * from stock"
    assert complete("select s", SCHEMA) == "select sku", "a column comes before a table elsewhere"


def test_keywords_strings_and_numbers_are_coloured():
    text = Text("select 'cola' from products where n = 1")
    SqlHighlighter().highlight(text)
    styles = {text.plain[span.start:span.end]: str(span.style) for span in text.spans}
    assert styles["select"] == styles["from"] == styles["where"] == "bold magenta"
    assert styles["'cola'"] == "green" and styles["1"] == "yellow"
    assert "products" not in styles


def test_exports_keep_every_value_and_markdown_reads_ids_as_uids():
    columns = ["uid", "sku", "note"]
    rows = [["00000000-0000-0000-0000-000000000001", "a,b", None], ["00000000-0000-0000-0000-000000000002", "x|y", 3]]
    assert list(csv.reader(io.StringIO(as_csv(columns, rows)))) == [columns, [rows[0][0], "a,b", ""], [rows[1][0], "x|y", "3"]]
    assert json.loads(as_json(columns, rows)) == [dict(zip(columns, row)) for row in rows]
    assert as_markdown(columns, rows).splitlines() == [
        "| uid | sku | note |", "| --- | --- | --- |", "| UID(1) | a,b | NULL |", "| UID(2) | x\\|y | 3 |"]
