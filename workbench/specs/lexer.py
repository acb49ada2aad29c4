"""A Pygments lexer for spec files: it colours `bf test` output and the TUI."""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups
from pygments.token import Comment, Generic, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace


class SpecLexer(RegexLexer):
    name = "bf spec"
    aliases = ["bfspec", "spec"]
    filenames = ["*.spec"]

    tokens = {
        "root": [
            (r"//.*?$", Comment.Single),
            (r"^[=]{3,}\s*$", Punctuation),
            (r"^-{3,}\s*$", Punctuation),
            (r"^(GIVEN|WHEN|THEN|EVENTS):", Keyword),
            (r"^(ERROR:)", Keyword, "error"),
            (r"^(\s+)([A-Z]\w*)", bygroups(Whitespace, Name.Class), "body"),
            (r"^\S.*?$", Generic.Heading),
            # A newline alone: `\s+` would eat the next line's indent, and the
            # indented message rule above would never see a line start.
            (r"\n", Whitespace),
            (r"[ \t]+", Whitespace),
        ],
        "error": [
            (r"^(\s+)([A-Z]\w*)(:?)(.*?)$", bygroups(Whitespace, Name.Exception, Punctuation, String.Doc), "#pop"),
            (r"\n", Whitespace),
            (r"[ \t]+", Whitespace),
        ],
        "body": [
            (r"$", Text, "#pop"),
            (r"UID\(\d+\)", Name.Constant),
            (r'"(\\\\|\\"|[^"])*"', String.Double),
            (r"-?\d+(\.\d+)?", Number),
            (r"(\w+)(\s*)(:)", bygroups(Name.Attribute, Whitespace, Operator)),
            (r"[{}]", Punctuation),
            (r"(true|false)\b", Keyword.Constant),
            (r"[ \t]+", Whitespace),
            (r"\w+", Name),
            (r".", Text),
        ],
    }
