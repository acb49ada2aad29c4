"""`bf ui`: a project that cannot load is one clear line, not a traceback."""

from __future__ import annotations

from workbench.cli import main


def test_bf_ui_names_what_keeps_the_project_from_loading(shop, capsys):
    pyproject = shop.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('schema = "domain/schema.sql"', 'schema = "missing.sql"'))
    assert main(["ui", str(shop.root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"bf ui: cannot load the project at {shop.root}: FileNotFoundError")
    assert "missing.sql" in err and "Traceback" not in err


def test_bf_ui_path_needs_no_project_here(shop, tmp_path, monkeypatch):
    from workbench.cli import build_parser

    monkeypatch.chdir(tmp_path)  # no project here or above
    assert build_parser().parse_args(["ui", str(shop.root)]).project == shop.root
    assert build_parser().parse_args(["--project", str(shop.root), "ui"]).project == shop.root


def test_bf_ui_says_when_there_is_no_project(tmp_path, capsys):
    assert main(["ui", str(tmp_path)]) == 2
    assert "bf: no pyproject.toml with a [tool.bf] table" in capsys.readouterr().err
