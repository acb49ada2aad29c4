"""The app restarted on remembered verdicts (issue 11's memory x issue 14's app):
no run happens, yet the pane beside the tree and the status line must say what
the tree says, not "not run" and nothing."""

from __future__ import annotations

from textual.widgets import Static

from tests.tui.in_process_engine import InProcessEngine
from tests.tui.pilot_helpers import rendered, running
from workbench.tui.app import WorkbenchApp
from workbench.tui.widgets.run_status import RunStatus
from workbench.tui.widgets.spec_view import SpecView
from workbench.watch import events as ev
from workbench.watch.memory import REMEMBERED_REASON


class RememberingEngine(InProcessEngine):
    """What the watch engine sends on a restart whose files did not change: the last verdicts, then idle."""

    async def events(self):
        yield ev.WatchStarted(["domain", "specs"])
        self._run_these(None, "first session")
        verdicts = []
        while not isinstance(event := self._queue.get_nowait(), ev.RunFinished):
            if isinstance(event, ev.SpecFinished):
                verdicts.append(ev.SpecFinished(0, event.spec_id, REMEMBERED_REASON, event.verdict))
        for event in verdicts:
            yield event
        yield ev.Idle(len(verdicts), len(self._failed))
        while (event := await self._queue.get()) is not None:
            yield event


async def test_a_restart_on_remembered_verdicts_shows_them_beside_the_tree_and_in_the_status(shop, settings):
    app = WorkbenchApp(shop, settings=settings, engine=RememberingEngine(shop))
    async with running(app) as pilot:
        await pilot.pause(0.2)
        assert app.screen.chosen.kind != "spec"  # an area: its pane counts its specs
        pane = rendered(app.screen.query_one(SpecView).query_one("#spec-source", Static))
        assert "not run" not in pane and "pass" in pane, pane
        assert "all 6: 3 not passing" in rendered(app.screen.query_one(RunStatus))
