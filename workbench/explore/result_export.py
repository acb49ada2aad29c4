"""A query's result as CSV, JSON or Markdown, for the console's copy and export.

CSV and JSON keep the stored values as they are (ids as stored, for tools);
Markdown is for people, so ids read UID(n) there, as in the specs.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from workbench.explore.step_text import cell, json_default

FORMATS = ("csv", "json", "md")


def as_csv(columns: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return out.getvalue()


def as_json(columns: list[str], rows: list[list[Any]]) -> str:
    return json.dumps([dict(zip(columns, row)) for row in rows], indent=2, default=json_default) + "\n"


def as_markdown(columns: list[str], rows: list[list[Any]]) -> str:
    def line(values) -> str:
        return "| " + " | ".join(str(value).replace("|", "\\|").replace("\n", " ") for value in values) + " |"

    return "\n".join([line(columns), line("---" for _ in columns), *(line(cell(v) for v in row) for row in rows)]) + "\n"


def export(kind: str, columns: list[str], rows: list[list[Any]]) -> str:
    return {"csv": as_csv, "json": as_json, "md": as_markdown}[kind](columns, rows)
