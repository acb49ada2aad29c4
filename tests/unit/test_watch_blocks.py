"""Blocks and their fingerprints, and the tracer that records which a run executed."""

from __future__ import annotations

import types

from workbench.watch.blocks import MODULE, block_of, fingerprints
from workbench.watch.fresh_source import compiled
from workbench.watch.tracer import BlockTracer

SOURCE = '''"""A module."""
import json

LIMIT = 3


def handler(tx, req):
    def helper(x):
        return [x + i for i in range(LIMIT)]
    return helper(1)


class Runtime:
    def __init__(self):
        self.ready = True

    def run(self):
        return self.ready


RUNTIME = None


def runtime():
    global RUNTIME
    RUNTIME = RUNTIME or Runtime()
    return RUNTIME
'''


def test_blocks_are_functions_methods_and_the_module_level():
    assert set(fingerprints(SOURCE)) == {MODULE, "handler", "Runtime.__init__", "Runtime.run", "runtime"}


def test_comments_and_blank_lines_change_no_fingerprint():
    assert fingerprints(SOURCE.replace("    return helper(1)\n", "    # why\n\n    return helper(1)\n")) == fingerprints(SOURCE)


def test_a_body_edit_changes_its_block_only_and_a_def_line_the_module_level():
    before = fingerprints(SOURCE)
    body = fingerprints(SOURCE.replace("x + i", "x - i"))
    assert {b for b in before if before[b] != body[b]} == {"handler"}  # the nested function is the handler's
    renamed = fingerprints(SOURCE.replace("def handler(tx, req)", "def handler(tx, request)"))
    assert renamed[MODULE] != before[MODULE]
    assert fingerprints("def broken(:\n") is None


def test_code_objects_map_to_their_outermost_function(tmp_path):
    module = _load(tmp_path)
    assert block_of(module.handler.__code__) == "handler"
    assert block_of(module.Runtime.run.__code__) == "Runtime.run"
    assert block_of(compiled(str(tmp_path / "domain" / "cached.py"))) == MODULE


def test_a_method_counts_for_its_whole_class(tmp_path):
    module = _load(tmp_path)
    tracer = BlockTracer(tmp_path, tmp_path / "domain")
    with tracer:
        module.runtime().run()
    assert "Runtime.__init__" in tracer.executed()["domain/cached.py"]
    with tracer:
        module.runtime().run()  # the instance the first run made: __init__ does not run again
    second = tracer.executed()["domain/cached.py"]
    assert {"runtime", "Runtime.run", "Runtime.__init__", MODULE} <= set(second)
    assert "handler" not in second
    assert second["Runtime.__init__"] == fingerprints(SOURCE)["Runtime.__init__"]


def _load(tmp_path) -> types.ModuleType:
    folder = tmp_path / "domain"
    folder.mkdir(exist_ok=True)
    path = folder / "cached.py"
    path.write_text(SOURCE)
    module = types.ModuleType("cached")
    exec(compiled(str(path)), module.__dict__)
    return module
