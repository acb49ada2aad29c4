"""Explore a spec's final state: a standalone SQLite file served by an embedded Datasette."""
