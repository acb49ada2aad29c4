"""The feature documentation's Markdown (issue 14's quirks): a line after a
bullet list stays its own paragraph, and `-> Answer` rules read as a table."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown

from workbench.tui.feature_markdown import comments_markdown

RULES = """// Rules:
// - every name is non-empty, at any depth        -> InvalidArgument
// - names are unique among siblings, whether the
//   sibling exists already                       -> AlreadyExists
// The same name may be used under different parents.
//
// Notes:
// - a plain bullet
//   with a second line
// - another
""".splitlines()


def rendered(markdown: str, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(Markdown(markdown))
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_a_line_after_a_list_is_a_paragraph_of_its_own():
    markdown = comments_markdown(RULES)
    assert "\n\nThe same name may be used under different parents." in markdown
    lines = rendered(markdown, 60)
    alone = [line for line in lines if "The same name" in line]
    assert alone == ["The same name may be used under different parents."]


def test_rules_ending_in_an_answer_read_as_a_table_at_any_width():
    markdown = comments_markdown(RULES)
    assert "| names are unique among siblings, whether the sibling exists already | AlreadyExists |" in markdown
    for width in (40, 100):
        lines = rendered(markdown, width)
        columns = {line.index(answer) for line in lines for answer in ("InvalidArgument", "AlreadyExists") if answer in line}
        assert len(columns) == 1, f"the answers line up at width {width}: {lines}"
        assert not any("->" in line for line in lines)


def test_other_lists_stay_lists_with_their_lines_joined():
    markdown = comments_markdown(RULES)
    assert "- a plain bullet with a second line\n- another" in markdown
