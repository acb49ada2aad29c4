"""The server's event loop: uvloop where it exists (not on Windows), else asyncio's own.

grpc.aio spends a good part of every call in the event loop (tasks, futures,
callbacks from its completion-queue thread); uvloop does that work in C:
about 9% more requests a second in `bf stress` over the unix socket.
"""

from __future__ import annotations

import asyncio

try:
    import uvloop
except ImportError:  # Windows: uvloop is not built there
    uvloop = None


def new_event_loop() -> asyncio.AbstractEventLoop:
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()
