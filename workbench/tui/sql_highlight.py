"""SQL in the console's input coloured as it is typed: Pygments' SQL lexer,
its tokens mapped to styles that read on the app's dark and light themes."""

from __future__ import annotations

from pygments.lexers.sql import SqlLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, String
from rich.highlighter import Highlighter
from rich.text import Text

STYLES = (
    (Keyword, "bold magenta"),
    (Name.Builtin, "cyan"),
    (String, "green"),
    (Number, "yellow"),
    (Comment, "dim italic"),
    (Operator, "bold"),
)


class SqlHighlighter(Highlighter):
    _lexer = SqlLexer()

    def highlight(self, text: Text) -> None:
        position = 0
        for token, value in self._lexer.get_tokens(text.plain):
            end = position + len(value)
            for kind, style in STYLES:
                if token in kind:
                    text.stylize(style, position, end)
                    break
            position = end
