"""The live perf view with Pilot: real `bf perf` workers, samples drawn while
they run, the summary table after; failing specs are refused, not timed."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.tui.pilot_helpers import press, rendered, running, settle
from workbench.tui.screens.perf import PerfScreen
from workbench.tui.widgets.rate_sparkline import RateSparkline


async def test_perf_draws_rates_while_it_runs_then_the_summary(make_app):
    app = make_app()
    async with running(app) as pilot:
        screen = PerfScreen(seconds=0.5, cores=1, keyword="add one product")
        await app.push_screen(screen)
        await settle(pilot, until=lambda: not screen.running, seconds=60)
        assert screen.result is not None and screen.result.ok, rendered(screen.query_one("#perf-notes", Static))
        specs = screen.query_one("#perf-specs", RateSparkline)
        assert len(specs.samples) >= 1 and max(specs.samples) > 0
        table = screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["run spec", "apply event",
                                                                                 "handle request"]
        notes = rendered(screen.query_one("#perf-notes", Static))
        assert "1 specs, every one passing" in notes and "no previous run" in notes
        assert str(table.get_row_at(0)[4]) == "–"

        screen.action_run_perf()  # again: this time it compares with the run before
        await settle(pilot, until=lambda: not screen.running and screen.result is not None, seconds=60)
        table = screen.query_one(DataTable)
        before, change = str(table.get_row_at(0)[4]), str(table.get_row_at(0)[5])
        assert before.replace(",", "").isdigit() and int(before.replace(",", "")) > 0
        assert change.endswith("%") and change[0] in "+-"
        assert "before: the previous run, " in rendered(screen.query_one("#perf-notes", Static))


async def test_the_perf_screen_fills_the_window(make_app):
    app = make_app()
    async with running(app, size=(100, 30)) as pilot:
        screen = PerfScreen(seconds=0.3, cores=1, keyword="add one product")
        await app.push_screen(screen)
        await settle(pilot, until=lambda: not screen.running, seconds=60)
        rates, results = screen.query_one("#perf-rates"), screen.query_one("#perf-results")
        assert rates.region.x < results.region.x and rates.region.y == results.region.y  # side by side
        footer_top = screen.query_one("Footer").region.y
        assert rates.region.bottom == footer_top and results.region.bottom == footer_top  # down to the footer
        sparkline = screen.query_one("#perf-specs Sparkline")
        assert sparkline.region.height >= 8, "the sparklines grow with the window"


async def test_p_opens_perf_and_failing_specs_are_not_timed(make_app):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, PerfScreen)
        await settle(pilot, until=lambda: not screen.running, seconds=60)
        notes = rendered(screen.query_one("#perf-notes", Static))
        assert "nothing measured" in notes and "wrong sku in the second event" in notes
        await press(pilot, "escape")
        assert app.screen is app.main_screen


async def test_the_screen_counts_the_specs_as_bf_perf_does(make_app):
    from workbench.bench.perf import PerfResult, PerfRow
    from workbench.commands.perf import note_lines

    result = PerfResult([PerfRow("run spec", 1, 100, 50.0, 50.0)], specs=268,
                        slow=[(f"specs/scripts/x.spec:{n}: slow one", 0.002) for n in range(8)])
    app = make_app()
    async with running(app) as pilot:
        screen = PerfScreen(seconds=0.1, cores=1, keyword="no spec matches this")
        await app.push_screen(screen)
        await settle(pilot, until=lambda: not screen.running, seconds=60)
        screen.show_result(result)
        await settle(pilot)
        said = rendered(screen.query_one("#perf-notes", Static)).splitlines()[0]
        assert said == "276 specs, every one passing" and said in note_lines(result)
