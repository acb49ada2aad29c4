"""How the workbench app keeps up with many specs: start, a verdict per spec,
a filter keystroke, choosing a spec; at N specs and at 4×N, side by side.

    python benchmarks/tui_browser.py [--copies 4]

The specs are the project's own, copied into more areas (`--copies`) in a
temporary project. The app runs headless (Textual's run_test) with an engine
that stays quiet, so the figures are the app's own work: building the tree,
relabelling it, filtering and drawing, each timed until the screen is idle.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.config import find_project  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402
from workbench.tui.app import WorkbenchApp  # noqa: E402
from workbench.tui.settings import Settings  # noqa: E402
from workbench.tui.widgets.spec_tree import SpecTree  # noqa: E402
from workbench.watch import events as ev  # noqa: E402

SIZE = (140, 45)


class QuietEngine:
    """The engine's surface, with no events: the benchmark feeds the screen itself."""

    broken: dict = {}

    async def events(self):
        await asyncio.Event().wait()
        yield

    def stop(self) -> None:
        pass


def make_project(folder: Path, copies: int):
    real = find_project(ROOT)
    shutil.copy(real.root / "pyproject.toml", folder)
    (folder / "domain").symlink_to(real.root / "domain")
    (folder / "themes").symlink_to(real.root / "themes")
    for copy in range(copies):
        for area in sorted(p for p in real.specs_dir.iterdir() if p.is_dir()):
            shutil.copytree(area, folder / "specs" / f"{area.name}-{copy + 1}")
    return find_project(folder)


async def measure(project, settings) -> dict[str, float]:
    started = time.perf_counter()
    app = WorkbenchApp(project, settings=settings, engine=QuietEngine())
    figures = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        figures["start (load, parse, tree) ms"] = (time.perf_counter() - started) * 1000
        screen = app.screen
        tree = screen.query_one(SpecTree)
        ids = tree.spec_ids()
        figures["specs"] = len(ids)

        begun = time.perf_counter()
        screen.on_engine_event(ev.RunStarted(1, [], [], 0.1))
        for spec_id in ids:
            screen.on_engine_event(ev.SpecFinished(1, spec_id, "first run", {"status": "pass", "differences": []}))
        screen.on_engine_event(ev.RunFinished(1, 10.0, len(ids), 0))
        await pilot.pause()
        figures["a verdict for every spec ms"] = (time.perf_counter() - begun) * 1000

        await pilot.press("slash")
        keystrokes = []
        for letter in "cola":
            begun = time.perf_counter()
            await pilot.press(letter)
            await pilot.pause()
            keystrokes.append((time.perf_counter() - begun) * 1000)
        figures["filter keystroke, median ms"] = statistics.median(keystrokes)
        await pilot.press("escape")
        await pilot.pause()

        choices = []
        for spec_id in ids[:: max(1, len(ids) // 10)]:
            begun = time.perf_counter()
            tree.select(spec_id)
            await pilot.pause()
            await pilot.pause()
            choices.append((time.perf_counter() - begun) * 1000)
        figures["choose a spec, median ms"] = statistics.median(choices)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of the specs for the large run (default 4)")
    args = parser.parse_args()
    # Both temporary projects link to this domain; import it from here once, so the
    # second project does not find the first one's (deleted) folder in sys.modules.
    Domain.load(find_project(ROOT))
    results = []
    for copies in (1, args.copies):
        with tempfile.TemporaryDirectory() as folder:
            project = make_project(Path(folder), copies)
            results.append(asyncio.run(measure(project, Settings(Path(folder) / "config"))))
    small, large = results
    print(f"{'':32} {'x1':>10} {'x' + str(args.copies):>10} {'ratio':>7}")
    for name in small:
        ratio = large[name] / small[name] if small[name] else float("nan")
        print(f"{name:32} {small[name]:>10.1f} {large[name]:>10.1f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
