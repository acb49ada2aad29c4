"""SQL through Datasette's in-process client: the only way the UI reads state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datasette.app import Datasette


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
class TableSummary:
    name: str
    rows: int
    columns: list[str]


class SqlClient:
    def __init__(self, datasette: Datasette, database: str):
        self.datasette = datasette
        self.database = database

    async def query(self, sql: str) -> QueryResult:
        url = self.datasette.urls.database(self.database, format="json")
        response = await self.datasette.client.get(url, params={"sql": sql})
        data = response.json()
        if not data.get("ok", False):
            return QueryResult(sql, error=data.get("error") or f"HTTP {response.status_code}")
        return QueryResult(sql, data["columns"], data["rows"], truncated=data.get("truncated", False),
                           milliseconds=data.get("query_ms", 0.0))

    async def tables(self) -> list[TableSummary]:
        url = self.datasette.urls.database(self.database, format="json")
        data = (await self.datasette.client.get(url)).json()
        return [TableSummary(t["name"], t["count"], t["columns"]) for t in data["tables"] if not t["hidden"]]
