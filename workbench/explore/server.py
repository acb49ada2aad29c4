"""An embedded Datasette on one state file: queries in-process, and optionally
served over HTTP on 127.0.0.1 inside the running event loop."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import uvicorn
from datasette.app import Datasette

HOST = "127.0.0.1"
# Datasette settings we choose; each one is explained in docs/app.md "Explore".
SETTINGS = {
    "sql_time_limit_ms": 2000,  # a runaway query in the console stops, the app does not hang
    "max_returned_rows": 1000,  # enough to read a spec's state, small enough to draw at once
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ExploreServer:
    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self.datasette = Datasette(files=[str(self.db_path)], settings=SETTINGS)
        self.database = self.db_path.stem
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task | None = None

    async def start(self) -> None:
        await self.datasette.invoke_startup()

    @property
    def url(self) -> str | None:
        if self.port is None:
            return None
        return f"http://{HOST}:{self.port}{self.datasette.urls.database(self.database)}"

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
