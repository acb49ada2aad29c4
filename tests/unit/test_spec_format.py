"""Parsing and formatting the spec language."""

import pytest

from workbench.specs.errors import SpecSyntaxError
from workbench.specs.formatter import format_spec_file
from workbench.specs.loader import load_specs
from workbench.specs.parser import parse_spec_file, parse_specs


def test_every_bundle_spec_formats_back_to_the_same_text(domain, kata_bundle):
    parsed = parse_spec_file(kata_bundle, domain.messages)
    assert len(parsed.specs) == 55
    assert format_spec_file(parsed) == kata_bundle.read_text()


def test_every_project_spec_file_formats_back_to_the_same_text(domain, project):
    loaded = load_specs([project.specs_dir], domain.messages)
    assert not loaded.errors
    assert loaded.files
    for spec_file in loaded.files:
        assert format_spec_file(spec_file) == spec_file.path.read_text(), spec_file.path


GOOD = """\
// A file comment documents the feature.

first
------------------------------------------
// how it works
GIVEN:
  ProductAdded uid:"00000000-0000-0000-0000-000000000001" sku:"a"
WHEN:
  AddProductsReq skus:"b"
THEN:
  AddProductsResp uids:"00000000-0000-0000-0000-000000000002"
EVENTS:
  ProductAdded uid:"00000000-0000-0000-0000-000000000002" sku:"b"
==========================================
second
------------------------------------------
GIVEN:
WHEN:
  AddProductsReq skus:"a" skus:"a"
ERROR:
  AlreadyExists: already exists
"""


def test_parse_reads_every_part(domain):
    parsed = parse_specs(GOOD, domain.messages)
    first, second = parsed.specs
    assert parsed.header == ["// A file comment documents the feature."]
    assert (first.name, first.line, first.number) == ("first", 3, 1)
    assert first.comments == ["// how it works"]
    assert [type(m).__name__ for m in first.messages()] == ["ProductAdded", "AddProductsReq", "AddProductsResp", "ProductAdded"]
    assert first.next_uid == 2
    assert second.error.code.spec_name == "AlreadyExists"
    assert second.then is None and second.events == []


@pytest.mark.parametrize(
    "text, line, message, hint",
    [
        ("s\n---\nGIVEN:\n  LocationAded uid:\"x\"\nWHEN:\n  AddProductsReq\nTHEN:\n  AddProductsResp\n", 4,
         "unknown message LocationAded", "LocationAdded"),
        ("s\n---\nWHEN:\n  AddProductsReq sku:\"x\"\nTHEN:\n  AddProductsResp\n", 4, "bad AddProductsReq", "skus"),
        ("s\n---\nWHEN:\n  AddProductsReq\nERROR:\n  NotFund: x\n", 6, "unknown status code NotFund", "NotFound"),
        ("s\nGIVEN:\n", 2, "expected a line of dashes under the spec name 's'", None),
        ("s\n---\nWHEN:\n  AddProductsReq\n", 1, "has neither THEN:", None),
        ("s\n---\nGIVEN:\nTHEN:\n  AddProductsResp\n", 4, "THEN: needs a WHEN: before it", None),
        ("s\n---\nWHEN:\n  AddProductsReq\n  AddProductsReq\nTHEN:\n  AddProductsResp\n", 5, "exactly one request", None),
        ("s\n---\nWHEN:\n  AddProductsReq\nthen:\n  AddProductsResp\n", 5, "unknown section", "THEN:"),
        ("s\n---\nWHEN:\n  AddProductsReq skus:\"x\nTHEN:\n  AddProductsResp\n", 4, "bad AddProductsReq", None),
    ],
)
def test_malformed_specs_name_the_line_and_what_was_wrong(domain, text, line, message, hint):
    with pytest.raises(SpecSyntaxError) as caught:
        parse_specs(text, domain.messages, path="broken.spec")
    error = caught.value
    assert error.line == line
    assert message in error.message
    assert error.hint == hint
    assert str(error).startswith(f"broken.spec:{line}: ")
    if hint:
        assert str(error).endswith(f"did you mean {hint}?")
