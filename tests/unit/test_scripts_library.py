"""The guarded library (domain/scripting/library.lua) answers exactly what Lua's
own functions answer, errors included, for the arguments scripts use: random
calls, checked against a plain Lua runtime as the oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, seed, settings, strategies as st
from lupa import lua54

from domain.scripting.runtime import ScriptFailure, ScriptRuntime

# Each call returns its results joined as text (strings in hex: a cut UTF-8 character is
# no Python text), so tables and several values compare as one string.
CALLS = {
    "sub": "return show(string.sub(a.s, a.i, a.j))",
    "byte": "return show(string.byte(a.s, a.i, a.j))",
    "rep": "return show(string.rep(a.s, a.n, a.sep))",
    "find": "return show(string.find(a.s, a.part, a.i, true))",  # plain: the only find scripts have
    "upper": "return show(string.upper(a.s), string.lower(a.s), string.reverse(a.s), string.len(a.s))",
    "format": "return show(string.format('%d|%s|%5.2f|%q', a.i, a.s, a.j / 3, a.s))",
    "method": "return show(a.s:rep(2), a.s:sub(a.i), a.s:byte(a.j))",
    "insert": "local t = list(a.n) table.insert(t, a.i, 'x') return show(table.concat(t, ','))",
    "append": "local t = list(a.n) table.insert(t, 'x') return show(table.concat(t, ','), #t)",
    "remove": "local t = list(a.n) local r = table.remove(t, a.i) return show(r, table.concat(t, ','))",
    "concat": "return show(table.concat(list(a.n), a.sep, a.i, a.j))",
    "unpack": "return show(table.unpack(list(a.n), a.i, a.j))",
    "move": "local t = list(a.n) table.move(t, a.i, a.j, a.n) return show(table.concat(t, ','))",
    "sort": "local t = {} for i = 1, a.n do t[i] = (i * 7919) % 13 end table.sort(t) local u = list(a.n)"
            " table.sort(u, function(x, y) return x > y end) return show(table.concat(t, ','), table.concat(u, ','))",
    "pack": "local t = table.pack(table.unpack(list(a.n))) return show(t.n, table.concat(t, ','))",
    "utf8": "return show(utf8.len(a.s, a.i), utf8.char(65, a.n + 200), utf8.offset(a.s, a.j), utf8.codepoint(a.s, 1, -1))",
}
HELPERS = """
local function hex(value)
  if type(value) ~= 'string' then return tostring(value) end
  local bytes = {}
  for k = 1, #value do bytes[k] = string.format('%02x', value:byte(k)) end
  return table.concat(bytes)
end
local function show(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = hex((select(i, ...))) end
  return table.concat(parts, ';')
end
local function list(n) local t = {} for i = 1, n do t[i] = 'v' .. i end return t end
"""

ARGUMENTS = st.fixed_dictionaries({
    "s": st.text(alphabet="abcxé-", max_size=12),
    "part": st.text(alphabet="abc-", max_size=3),
    "sep": st.sampled_from(["", ",", "--"]),
    "i": st.integers(-14, 14),
    "j": st.integers(-14, 14),
    "n": st.integers(0, 9),
})


@pytest.fixture(scope="module")
def sandboxed():
    return ScriptRuntime()


@pytest.fixture(scope="module")
def plain():
    return lua54.LuaRuntime(register_eval=False)


def sandbox_answer(runtime, call, arguments):
    try:
        return runtime.run("reserve", f"local a = ...\n{HELPERS}\nreturn {{r = (function() {call} end)()}}",
                           arguments, None)["r"]
    except ScriptFailure as failure:
        return ("error", failure.code)


def oracle_answer(lua, call, arguments):
    function = lua.execute(f"return function(a)\n{HELPERS}\n{call}\nend")
    try:
        return function(lua.table_from(arguments))
    except lua54.LuaError:
        return ("error",)


@pytest.mark.parametrize("name", sorted(CALLS))
@seed(20261202)
@settings(max_examples=60, deadline=None, derandomize=True)
@given(arguments=ARGUMENTS)
def test_a_guarded_function_answers_like_luas_own(sandboxed, plain, name, arguments):
    expected = oracle_answer(plain, CALLS[name], arguments)
    actual = sandbox_answer(sandboxed, CALLS[name], arguments)
    if expected == ("error",):
        assert actual[0] == "error", actual
    else:
        assert actual == expected
