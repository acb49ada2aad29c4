"""Blocks of Python source and their fingerprints: what a spec's run depends on.

As pytest-testmon does, a module is cut into blocks: each function or method
(nested functions, lambdas and comprehensions belong to the function around
them) and the module level (everything else: imports, constants, class
bodies, decorators, default values, the `def` lines themselves). A block's
fingerprint is a hash of its syntax tree, so comments, blank lines and
formatting change nothing, and any change to what the code does changes it.

A spec depends on the blocks its run executed. When a file is saved, a spec
reruns when a block it depends on now has another fingerprint (or is gone).
"""

from __future__ import annotations

import ast
import copy
import hashlib
from types import CodeType

MODULE = "<module>"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_CO_OPTIMIZED = 0x0001  # set on the code of functions, not on module or class bodies


def fingerprints(source: bytes | str, filename: str = "<source>") -> dict[str, str] | None:
    """block name -> fingerprint; None when the source does not parse."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return None
    blocks: dict[str, str] = {}
    module = copy.deepcopy(tree)
    for name, function in _functions(tree.body, ""):
        blocks[name] = _hash(ast.dump(function.args) + ast.dump(ast.Module(function.body, [])))
    for _, function in _functions(module.body, ""):
        function.body = []  # the module level keeps the def line, its decorators and defaults
    blocks[MODULE] = _hash(ast.dump(module))
    return blocks


def block_of(code: CodeType) -> str:
    """The block a code object belongs to: its outermost function, or the module level."""
    if not code.co_flags & _CO_OPTIMIZED:
        return MODULE  # a module or class body
    name = code.co_qualname.split(".<locals>", 1)[0]
    return MODULE if name.startswith("<") or name.endswith(">") else name


def _functions(body: list[ast.stmt], prefix: str):
    """(qualified name, node) of every function at module level or in a class, in any if/try/with."""
    for node in body:
        if isinstance(node, _FUNCTIONS):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, f"{prefix}{node.name}.")
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    yield from _functions([n for n in inner if isinstance(n, ast.AST)], prefix)


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
