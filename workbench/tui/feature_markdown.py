"""A spec file's header comments as Markdown, the way their authors lay them out.

Two things plain Markdown gets wrong about such comments: a line right after a
bullet list is not part of its last bullet (Markdown's lazy continuation would
merge it), and a list of rules each ending in `-> Answer`, aligned in columns
in the source, reads as a two-column table (joined continuation lines would
leave the arrows ragged).
"""

from __future__ import annotations

import re

_ANSWER = re.compile(r"^(.*?)\s+->\s+(\S+)$")


def comments_markdown(lines: list[str]) -> str:
    """`// text` lines as Markdown: the comment marks go, the words and blank lines stay."""
    text = [line.strip().removeprefix("//").removeprefix(" ") for line in lines]
    out: list[str] = []
    items: list[list[str]] = []  # the bullet list being read: each item's lines
    for line in text:
        if line.startswith("- "):
            items.append([line[2:]])
            continue
        if items and line.startswith("  ") and line.strip():
            items[-1].append(line.strip())
            continue
        if items:
            out += _bullets(items)
            items = []
            if line.strip():
                out.append("")  # a new paragraph, not the last bullet's tail
        out.append(line)
    if items:
        out += _bullets(items)
    return "\n".join(out)


def _bullets(items: list[list[str]]) -> list[str]:
    joined = [" ".join(" ".join(parts).split()) for parts in items]
    answers = [_ANSWER.match(item) for item in joined]
    if all(answers):
        rows = [f"| {_cell(m.group(1))} | {_cell(m.group(2))} |" for m in answers]
        return ["", "| when | answer |", "| --- | --- |", *rows]
    return [f"- {item}" for item in joined]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
