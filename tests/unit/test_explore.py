"""Explore without the TUI: a spec's state in a SQLite file, Datasette on it
in-process and over HTTP, spec lookup, and `bf explore`."""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import json

import pytest

from workbench.cli import main
from workbench.explore.pick import NoSuchSpec, pick_spec
from workbench.explore.server import ExploreServer
from workbench.explore.sql_client import SqlClient
from workbench.explore.steps import explore_spec
from workbench.specs.loader import load_specs
from workbench.specs.parser import parse_specs

TWO_LOCATIONS = """two locations
------------------------------------------
GIVEN:
  LocationAdded uid:"00000000-0000-0000-0000-000000000001" name:"Depot" parent:"00000000-0000-0000-0000-000000000000"
WHEN:
  AddLocationsReq locs:{name:"Hall"} parent:"00000000-0000-0000-0000-000000000001"
THEN:
  AddLocationsResp locs:{name:"Hall" uid:"00000000-0000-0000-0000-000000000002" parent:"00000000-0000-0000-0000-000000000001"}
EVENTS:
  LocationAdded uid:"00000000-0000-0000-0000-000000000002" name:"Hall" parent:"00000000-0000-0000-0000-000000000001"
"""


@pytest.fixture
def spec(domain):
    return parse_specs(TWO_LOCATIONS, domain.messages).specs[0]


def test_the_state_file_holds_the_given_events_and_the_request_effects(domain, spec, tmp_path):
    path = tmp_path / "state.db"
    path.write_text("an older file is replaced")
    exploration = explore_spec(domain, spec, path)
    assert exploration.verdict.passed and len(exploration.verdict.outcome.events) == 1
    names = sqlite3.connect(path).execute("select name from locations order by name").fetchall()
    assert ("Depot",) in names and ("Hall",) in names
    assert not (tmp_path / "state.db-wal").exists(), "one standalone file, no write-ahead log beside it"


async def test_queries_go_through_datasette_and_errors_come_back_as_text(domain, spec, tmp_path):
    path = tmp_path / "state.db"
    explore_spec(domain, spec, path)
    server = ExploreServer(path)
    await server.start()
    client = SqlClient(server.datasette, server.database)
    result = await client.query("select name from locations where name != '' order by name")
    assert result.ok and result.columns == ["name"] and result.rows == [["Depot"], ["Hall"]]
    broken = await client.query("select * from no_such_table")
    assert not broken.ok and "no such table: no_such_table" in broken.error
    write = await client.query("delete from locations")
    assert write.error == "Statement must be a SELECT"
    tables = {table.name: table.rows for table in await client.tables()}
    assert tables["locations"] >= 2


async def test_serve_answers_over_http_on_127_0_0_1_and_stops(domain, spec, tmp_path):
    path = tmp_path / "state.db"
    explore_spec(domain, spec, path)
    server = ExploreServer(path)
    await server.start()
    url = await server.serve()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/state")

    def fetch():
        with urllib.request.urlopen(url + ".json?sql=select+count(*)+from+locations", timeout=5) as response:
            return json.load(response)

    assert (await asyncio.to_thread(fetch))["rows"][0][0] >= 2
    await server.stop()
    with pytest.raises(OSError):
        await asyncio.to_thread(fetch)


def test_a_spec_is_picked_by_number_id_or_name(project, domain):
    specs = load_specs([project.specs_dir], domain.messages).specs
    first = specs[0]
    assert pick_spec(specs, "1", project.root) is first
    assert pick_spec(specs, first.name, project.root) is first
    file = first.path.relative_to(project.root).as_posix()
    assert pick_spec(specs, f"{file}#{first.number}", project.root) is first
    with pytest.raises(NoSuchSpec, match=f"there are {len(specs)} specs"):
        pick_spec(specs, str(len(specs) + 1), project.root)
    with pytest.raises(NoSuchSpec, match="no spec named 'zzz nothing'"):
        pick_spec(specs, "zzz nothing", project.root)
    with pytest.raises(NoSuchSpec, match="specs match 'a'.*give more of the name"):
        pick_spec(specs, "a", project.root)


def test_bf_explore_writes_the_state_and_lists_its_tables(project, tmp_path, capsys):
    path = tmp_path / "explored.db"
    assert main(["--project", str(project.root), "explore", "1", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"state: {path}" in out and "  locations: " in out
    assert path.exists()


def test_bf_explore_says_which_spec_is_unknown(project, capsys):
    assert main(["--project", str(project.root), "explore", "no spec is called this"]) == 2
    assert "bf explore: no spec named 'no spec is called this'" in capsys.readouterr().err


def test_bf_explore_serve_runs_datasette_until_ctrl_c(project, tmp_path):
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-m", "workbench.cli", "--project", str(project.root), "explore", "1",
               "--db", str(tmp_path / "served.db"), "--serve"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if line.startswith("Datasette: "):
                url = line.split()[1]
                break
        else:
            pytest.fail(f"no URL printed; stderr: {process.stderr.read()}")
        with urllib.request.urlopen(url + ".json?sql=select+1+as+one", timeout=5) as response:
            assert json.load(response)["rows"] == [[1]]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + ".json?sql=select+nonsense+from+products", timeout=5)
        assert refused.value.code == 400
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + ".json?sql=delete+from+products", timeout=5)
        assert refused.value.code == 400
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        err = process.stderr.read()
        assert err.splitlines() == [
            "datasette: served: no such column: nonsense  [select nonsense from products]",
            f"datasette: {urllib.parse.urlparse(url).path}.json: Statement must be a SELECT  [delete from products]",
        ], "one line per rejected query, no traceback"
    finally:
        if process.poll() is None:
            process.kill()


def test_the_bf_command_loads_neither_textual_nor_datasette_until_asked():
    import subprocess
    import sys

    code = "import sys, workbench.cli; print(sorted(m for m in ('textual', 'datasette', 'uvicorn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_datasette_setting_we_choose_is_explained_in_the_docs(project):
    from workbench.explore.server import SETTINGS

    readme = (project.root / "docs" / "app.md").read_text()
    for name, value in SETTINGS.items():
        assert f"`{name}\n  = {value}`" in readme or f"`{name} = {value}`" in readme, f"docs/app.md does not explain {name}"


async def test_a_query_that_runs_too_long_is_one_clean_line_not_html(domain, spec, tmp_path):
    path = tmp_path / "state.db"
    explore_spec(domain, spec, path)
    server = ExploreServer(path)
    server.datasette._settings["sql_time_limit_ms"] = 20  # the real limit, made short for the test
    await server.start()
    endless = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"
    result = await SqlClient(server.datasette, server.database).query(endless)
    assert result.error == ("SQL query took too long. The time limit is controlled by the sql_time_limit_ms "
                            "configuration option.")


async def test_the_schema_has_types_indexes_and_row_counts(domain, spec, tmp_path):
    path = tmp_path / "state.db"
    explore_spec(domain, spec, path)
    server = ExploreServer(path)
    await server.start()
    tables = {table.name: table for table in await SqlClient(server.datasette, server.database).tables()}
    locations = tables["locations"]
    assert locations.rows == sqlite3.connect(path).execute("select count(*) from locations").fetchone()[0]
    assert [(c.name, c.type, c.primary_key) for c in locations.typed_columns][0] == ("uid", "TEXT", True)
    expected = {name for (name,) in sqlite3.connect(path).execute(
        "select name from sqlite_master where type = 'index' and tbl_name = 'locations'")}
    assert {index.name for index in locations.indexes} == expected and expected
