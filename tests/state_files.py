"""Read a SQLite state file as plain rows, to compare two states exactly."""

import sqlite3


def state_rows(path) -> dict[str, list[tuple]]:
    """Every row of every table, tables by name and rows sorted: equal iff the states are."""
    db = sqlite3.connect(path)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall()) for table in tables}
    finally:
        db.close()
