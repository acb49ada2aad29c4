"""A state fingerprint: one hash over every state table in a canonical order.

Two states with equal fingerprints answer every request the same way. Rows are
hashed in a fixed order (by all their columns), so the order rows were written
in does not matter, except where the domain says it shows: a table in
`order_within` also hashes each row's rank in creation order (rowid) within its
group, because listings follow creation order. Tables in `zero_is_absent` skip
rows whose counters are all zero: such a row reads the same as no row. The
workbench's own bookkeeping tables (`bf_*`, e.g. the projection's position)
are not part of the state.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Canon:
    """What the domain says about its state tables beyond their rows."""

    order_within: Mapping[str, str | None] = field(default_factory=dict)  # table -> group column (None: whole table)
    zero_is_absent: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # table -> counter columns


def state_fingerprint(db, canon: Canon = Canon()) -> str:
    digest = hashlib.sha256()
    for table in _tables(db):
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
        digest.update(f"table {table} ({', '.join(columns)})\n".encode())
        for row in db.execute(_canonical_query(table, columns, canon)):
            digest.update(repr(row).encode() + b"\n")
    return digest.hexdigest()


def _tables(db) -> list[str]:
    return [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'bf_%'"
        " ORDER BY name")]


def _canonical_query(table: str, columns: list[str], canon: Canon) -> str:
    selected = [f'"{c}"' for c in columns]
    if table in canon.order_within:
        group = canon.order_within[table]
        partition = f'PARTITION BY "{group}" ' if group else ""
        selected.append(f"row_number() OVER ({partition}ORDER BY rowid)")
    where = ""
    if table in canon.zero_is_absent:
        where = " WHERE NOT (" + " AND ".join(f'"{c}" = 0' for c in canon.zero_is_absent[table]) + ")"
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    return f'SELECT {", ".join(selected)} FROM "{table}"{where} ORDER BY {order}'
