"""Regenerate the app's screenshots in docs/screenshots/: every scene of
tests/tui/scenes.py (the ones the snapshot tests compare) at 80x24 and 160x48,
as SVG (Textual's save_screenshot), on the small `shop` fixture project.

    python docs/screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tui.in_process_engine import InProcessEngine  # noqa: E402
from tests.tui.scenes import SCENES, SIZES, make_shop  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.tui.app import WorkbenchApp  # noqa: E402
from workbench.tui.settings import Settings  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


async def shoot(name: str, size: str, folder: Path) -> Path:
    shop = make_shop(folder, find_project(ROOT))
    app = WorkbenchApp(shop, settings=Settings(folder / "config"), engine=InProcessEngine(shop))
    async with app.run_test(size=SIZES[size]) as pilot:
        await SCENES[name](pilot)
        await pilot.pause()
        return Path(app.save_screenshot(f"{name}-{size}.svg", str(OUT)))


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as temporary:  # kept to the end: the domain is imported from the first
        for number, (name, size) in enumerate((name, size) for name in SCENES for size in SIZES):
            folder = Path(temporary) / str(number)
            folder.mkdir()
            path = asyncio.run(shoot(name, size, folder))
            print(path.relative_to(ROOT), flush=True)


if __name__ == "__main__":
    main()
