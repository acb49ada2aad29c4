"""Completion for the SQL console: the word being typed completed from the live
schema (tables after FROM or JOIN, a table's columns after `table.`, otherwise
columns, tables and SQL keywords), in the case the user types keywords in."""

from __future__ import annotations

import re

from textual.suggester import Suggester

KEYWORDS = (
    "select", "from", "where", "order by", "group by", "having", "limit", "offset", "join", "left join", "inner join",
    "on", "and", "or", "not", "null", "is", "in", "like", "glob", "between", "distinct", "as", "asc", "desc", "case",
    "when", "then", "else", "end", "exists", "union", "union all", "with", "recursive", "count", "sum", "min", "max",
    "avg", "total", "group_concat", "coalesce", "ifnull", "length", "lower", "upper", "substr", "json_extract",
    "cast", "integer", "text", "real", "values",
)
_WORD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.?([A-Za-z_][A-Za-z0-9_]*)?$")
_TABLE_PLACES = re.compile(r"\b(from|join|into|update|table)\s+$", re.IGNORECASE)


class Schema:
    """Table names and their columns, as the console's tree shows them."""

    def __init__(self, tables: dict[str, list[str]] | None = None):
        self.tables = tables or {}

    @property
    def columns(self) -> list[str]:
        return sorted({column for columns in self.tables.values() for column in columns})


def complete(value: str, schema: Schema) -> str | None:
    """`value` with its last word completed, or None when nothing fits."""
    match = _WORD.search(value)
    if match is None:
        return None
    if match.group(2) is not None or value.endswith("."):  # table.col
        table, typed = match.group(1), match.group(2) or ""
        candidates = schema.tables.get(table, [])
    else:
        typed = match.group(1)
        before = value[: match.start()]
        tables = sorted(schema.tables)
        if _TABLE_PLACES.search(before):
            candidates = tables
        else:
            keywords = [k.upper() for k in KEYWORDS] if typed[:1].isupper() else list(KEYWORDS)
            candidates = [*schema.columns, *tables, *keywords]
    for candidate in candidates:
        if candidate.lower().startswith(typed.lower()) and len(candidate) > len(typed):
            return value + candidate[len(typed):]
    return None


class SqlSuggester(Suggester):
    def __init__(self, schema: Schema):
        super().__init__(use_cache=False, case_sensitive=True)
        self.schema = schema

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value, self.schema)
