"""Small helpers the Pilot tests share."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from rich.text import Text

from workbench.tui.widgets.spec_tree import SpecTree


SIZE = (120, 36)


@asynccontextmanager
async def running(app, size: tuple[int, int] = SIZE):
    """The app headless, past its first screen and its first verdicts."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot


async def settle(pilot, until=None, seconds: float = 20.0) -> None:
    """Let queued messages run; with `until`, wait (at most `seconds`) for it to be true."""
    await pilot.pause()
    if until is None:
        await pilot.pause()
        return
    deadline = asyncio.get_running_loop().time() + seconds
    while not until():
        assert asyncio.get_running_loop().time() < deadline, "the app did not get there in time"
        await pilot.pause(0.02)


async def press(pilot, *keys: str) -> None:
    """Press the keys, then let the app handle them."""
    await pilot.press(*keys)
    await settle(pilot)


def tree_labels(app) -> list[str]:
    """Every visible node's label, in tree order, as plain text."""
    tree = app.screen.query_one(SpecTree)
    labels = []

    def walk(node):
        for child in node.children:
            labels.append(Text.assemble(child.label).plain if not isinstance(child.label, str) else child.label)
            if child.is_expanded:
                walk(child)

    walk(tree.root)
    return labels


def rendered(widget) -> str:
    """What a Static shows, as plain text."""
    content = widget.render()
    return content.plain if hasattr(content, "plain") else str(widget.content)
