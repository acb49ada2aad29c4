"""The rows an event inserted, changed or deleted: two snapshots of the state compared
table by table, rows matched by their primary key (or rowid when a table has none)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

Row = tuple[Any, ...]


@dataclass(frozen=True)
class TableRows:
    columns: tuple[str, ...]
    key_columns: tuple[str, ...]
    rows: dict[Row, Row]  # key -> the whole row


Snapshot = dict[str, TableRows]


@dataclass
class TableChange:
    table: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...] = ()  # how a changed row is named (its primary key)
    inserted: list[Row] = field(default_factory=list)
    deleted: list[Row] = field(default_factory=list)
    changed: list[tuple[Row, Row]] = field(default_factory=list)  # (before, after)

    @property
    def counts(self) -> str:
        parts = [f"+{len(self.inserted)}" if self.inserted else "", f"~{len(self.changed)}" if self.changed else "",
                 f"-{len(self.deleted)}" if self.deleted else ""]
        return " ".join(part for part in parts if part)


def user_tables(db: sqlite3.Connection) -> list[str]:
    return [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def snapshot(db: sqlite3.Connection) -> Snapshot:
    """Every row of every table, keyed; small spec states only (all of it is read)."""
    tables: Snapshot = {}
    for table in user_tables(db):
        info = db.execute(f'PRAGMA table_info("{table}")').fetchall()
        columns = tuple(column[1] for column in info)
        keys = tuple(column[1] for column in sorted(info, key=lambda c: c[5]) if column[5] > 0)
        key_sql = ", ".join(f'"{name}"' for name in keys) if keys else "rowid"
        rows = {}
        for record in db.execute(f'SELECT {key_sql}, * FROM "{table}"'):
            width = len(keys) or 1
            rows[tuple(record[:width])] = tuple(record[width:])
        tables[table] = TableRows(columns, keys or ("rowid",), rows)
    return tables


def diff(before: Snapshot, after: Snapshot) -> list[TableChange]:
    """The tables whose rows differ, in name order; rows in key order."""
    changes = []
    for table in sorted(after):
        now = after[table]
        was = before[table].rows if table in before else {}
        change = TableChange(table, now.columns, now.key_columns)
        for key in sorted(now.rows.keys() | was.keys(), key=_sortable):
            old, new = was.get(key), now.rows.get(key)
            if old is None:
                change.inserted.append(new)
            elif new is None:
                change.deleted.append(old)
            elif old != new:
                change.changed.append((old, new))
        if change.inserted or change.deleted or change.changed:
            changes.append(change)
    return changes


def _sortable(key: Row) -> tuple:
    return tuple((value is None, str(type(value)), value if value is not None else 0) for value in key)
