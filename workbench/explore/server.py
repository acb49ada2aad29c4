"""An embedded Datasette on a spec's state (and on the state after each of its
steps): queries in-process, and optionally served over HTTP on 127.0.0.1 inside
the running event loop."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from pathlib import Path

import uvicorn
from datasette.app import Datasette

from workbench.explore import quiet_errors

HOST = "127.0.0.1"
# Datasette settings we choose; each one is explained in docs/app.md "Explore".
SETTINGS = {
    "sql_time_limit_ms": 2000,  # a runaway query in the console stops, the app does not hang
    "max_returned_rows": 1000,  # enough to read a spec's state, small enough to draw at once
}


class QuietDatasette(Datasette):
    """Datasette that says a failed query in one line of our log (quiet_errors.log),
    instead of writing its connection object and parameters to stderr."""

    async def execute(self, db_name, sql, *args, log_sql_errors=True, **kwargs):
        try:
            return await super().execute(db_name, sql, *args, log_sql_errors=False, **kwargs)
        except sqlite3.DatabaseError as error:
            if log_sql_errors:
                quiet_errors.log.info("%s: %s  [%s]", db_name, error, sql)
            raise


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ExploreServer:
    """`db_path` is the database queries go to first; `more` are served beside it
    (each named by its file's stem: `given-1`, ..., `when`)."""

    def __init__(self, db_path: Path, more: list[Path] | tuple[Path, ...] = ()):
        self.db_path = Path(db_path)
        quiet_errors.install()
        files = [str(self.db_path)] + [str(path) for path in more if Path(path) != self.db_path]
        self.datasette = QuietDatasette(files=files, settings=SETTINGS)
        self.database = self.db_path.stem
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task | None = None

    async def start(self) -> None:
        await self.datasette.invoke_startup()

    @property
    def base_url(self) -> str | None:
        return None if self.port is None else f"http://{HOST}:{self.port}"

    def url_of(self, database: str) -> str | None:
        if self.port is None:
            return None
        return self.base_url + self.datasette.urls.database(database)

    @property
    def url(self) -> str | None:
        return self.url_of(self.database)

    async def serve(self) -> str:
        """Start serving over HTTP on a free port; returns the database's URL once it answers."""
        self.port = free_port()
        config = uvicorn.Config(self.datasette.app(), host=HOST, port=self.port, lifespan="on",
                                log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._serve_quietly(self._server))
        while not self._server.started:
            if self._serving.done():
                raise OSError(f"Datasette could not listen on {HOST}:{self.port}")
            await asyncio.sleep(0.01)
        return self.url

    @staticmethod
    async def _serve_quietly(server: uvicorn.Server) -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits this way when the port is taken
            pass

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            await self._serving
            self._server = self._serving = None
