"""`bf fmt`: spec files rewritten in canonical form, or checked with --check."""

from tests.conftest import ROOT
from workbench.cli import main

CANONICAL = """\
// Products.

one product
------------------------------------------
GIVEN:
WHEN:
  AddProductsReq skus:"lamp"
THEN:
  AddProductsResp uids:"00000000-0000-0000-0000-000000000001"
EVENTS:
  ProductAdded uid:"00000000-0000-0000-0000-000000000001" sku:"lamp"

==========================================
two products
------------------------------------------
GIVEN:
WHEN:
  AddProductsReq skus:"lamp" skus:"desk"
ERROR:
  NotFound

"""

# The same specs, untidy: short dashes, loose spacing, no blank lines where they belong.
UNTIDY = """\
// Products.
one product
---
GIVEN:
WHEN:
    AddProductsReq   skus: "lamp"
THEN:
  AddProductsResp uids:"00000000-0000-0000-0000-000000000001"

EVENTS:
  ProductAdded sku:"lamp" uid:"00000000-0000-0000-0000-000000000001"
=====
two products
---
GIVEN:
WHEN:
  AddProductsReq skus:"lamp" skus:"desk"
ERROR:
  NotFound
"""


def fmt(*args):
    return main(["--project", str(ROOT), "fmt", *map(str, args)])


def test_fmt_rewrites_an_untidy_file_in_canonical_form(tmp_path, capsys):
    spec = tmp_path / "untidy.spec"
    spec.write_text(UNTIDY)
    assert fmt(spec) == 0
    assert spec.read_text() == CANONICAL
    assert f"reformatted {spec}" in capsys.readouterr().out


def test_fmt_leaves_a_canonical_file_alone(tmp_path, capsys):
    spec = tmp_path / "tidy.spec"
    spec.write_text(CANONICAL)
    assert fmt(spec) == 0
    assert spec.read_text() == CANONICAL
    assert capsys.readouterr().out.splitlines()[-1] == "0 reformatted, 1 already canonical"


def test_fmt_check_changes_nothing_and_exits_1_when_a_file_would_change(tmp_path, capsys):
    untidy, tidy = tmp_path / "a.spec", tmp_path / "b.spec"
    untidy.write_text(UNTIDY)
    tidy.write_text(CANONICAL)
    assert fmt("--check", tmp_path) == 1
    assert untidy.read_text() == UNTIDY
    out = capsys.readouterr().out.splitlines()
    assert out == [f"would reformat {untidy}", "1 would be reformatted, 1 already canonical"]


def test_fmt_reports_a_malformed_file_with_its_line_and_exits_2(tmp_path, capsys):
    spec = tmp_path / "broken.spec"
    broken = "s\n---\nGIVEN:\nWHEN:\n  AddProductReq\nTHEN:\n  AddProductsResp\n"
    spec.write_text(broken)
    assert fmt(spec) == 2
    assert spec.read_text() == broken
    assert f"bf fmt: {spec}:5: unknown message AddProductReq; did you mean AddProductsReq?" in capsys.readouterr().err


def test_the_project_specs_are_canonical(capsys):
    assert fmt("--check") == 0, capsys.readouterr().out
