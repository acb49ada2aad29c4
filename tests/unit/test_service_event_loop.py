"""The server's event loop is uvloop's where uvloop is installed (every platform but Windows)."""

import sys

import pytest

from workbench.service.event_loop import new_event_loop


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not built for Windows: asyncio's own loop is used")
def test_the_server_loop_is_uvloop_and_runs_coroutines():
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")

        async def answer():
            return 42
        assert loop.run_until_complete(answer()) == 42
    finally:
        loop.close()
