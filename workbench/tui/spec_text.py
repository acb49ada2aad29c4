"""Spec text coloured by the Pygments SpecLexer, as Rich Text for the TUI."""

from __future__ import annotations

from pygments.token import Comment, Generic, Keyword, Name, Number, Punctuation, String, Token
from rich.text import Text

from workbench.specs.lexer import SpecLexer

# ANSI colour names, so every theme (light, dark, high contrast) keeps them readable.
STYLES = {
    Comment: "italic bright_black",
    Keyword.Constant: "magenta",
    Keyword: "bold blue",
    Generic.Heading: "bold",
    Name.Class: "bold cyan",
    Name.Exception: "bold red",
    Name.Attribute: "yellow",
    Name.Constant: "bold magenta",
    String.Doc: "red",
    String: "green",
    Number: "magenta",
    Punctuation: "bright_black",
}
_LEXER = SpecLexer()


def style_of(token) -> str:
    while token is not Token:
        if token in STYLES:
            return STYLES[token]
        token = token.parent
    return ""


def highlighted(text: str) -> Text:
    result = Text()
    for token, value in _LEXER.get_tokens(text):
        result.append(value, style_of(token))
    result.rstrip()
    return result
