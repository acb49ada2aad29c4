"""SQL through Datasette's in-process client: the only way the UI reads state.

Errors come back as one clean line (Datasette's HTML error pages are reduced to
their text), and the schema (tables, columns with types, indexes, row counts) is
read through the same client, for the console's tree and its completion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datasette.app import Datasette

from workbench.explore.quiet_errors import one_line

COLUMNS_SQL = """select m.name, p.name, p.type, p.pk from sqlite_master m join pragma_table_info(m.name) p
where m.type = 'table' and m.name not like 'sqlite_%' order by m.name, p.cid"""
INDEXES_SQL = """select m.name, i.name, i."unique", group_concat(c.name, ', ') from sqlite_master m
join pragma_index_list(m.name) i join pragma_index_info(i.name) c
where m.type = 'table' and m.name not like 'sqlite_%' group by m.name, i.name order by m.name, i.name"""


@dataclass
class QueryResult:
    sql: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    error: str | None = None
    truncated: bool = False
    milliseconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Column:
    name: str
    type: str
    primary_key: bool = False


@dataclass
class Index:
    name: str
    columns: str
    unique: bool = False


@dataclass
class TableSummary:
    name: str
    rows: int
    columns: list[str]
    typed_columns: list[Column] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)


class SqlClient:
    def __init__(self, datasette: Datasette, database: str):
        self.datasette = datasette
        self.database = database

    async def query(self, sql: str, database: str | None = None) -> QueryResult:
        url = self.datasette.urls.database(database or self.database, format="json")
        response = await self.datasette.client.get(url, params={"sql": sql})
        try:
            data = response.json()
        except ValueError:
            data = {"error": response.text}
        if not data.get("ok", False):
            return QueryResult(sql, error=one_line(data.get("error") or "") or f"HTTP {response.status_code}")
        return QueryResult(sql, data["columns"], data["rows"], truncated=data.get("truncated", False),
                           milliseconds=data.get("query_ms", 0.0))

    async def tables(self, database: str | None = None) -> list[TableSummary]:
        """Every visible table with its row count, columns (with types) and indexes."""
        url = self.datasette.urls.database(database or self.database, format="json")
        data = (await self.datasette.client.get(url)).json()
        tables = {t["name"]: TableSummary(t["name"], t["count"], t["columns"])
                  for t in data["tables"] if not t["hidden"]}
        columns = await self.query(COLUMNS_SQL, database)
        for table, name, kind, key in columns.rows:
            if table in tables:
                tables[table].typed_columns.append(Column(name, kind, bool(key)))
        indexes = await self.query(INDEXES_SQL, database)
        for table, name, unique, names in indexes.rows:
            if table in tables:
                tables[table].indexes.append(Index(name, names, bool(unique)))
        return list(tables.values())
