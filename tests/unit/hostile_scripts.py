"""Hostile tenant scripts, one per way of escaping the sandbox's bounds we know of.

Each fails its request within a second. Sources: the escapes found by hand
against this sandbox (issue 12), and the classic ones against Lua sandboxes
(C calls that loop without an instruction, message handlers run from inside
a hook, finalizers, metamethods run outside the budget, bytecode, patterns).
"""

from __future__ import annotations

from workbench.core import Code

EXHAUSTED, REFUSED = Code.RESOURCE_EXHAUSTED, Code.FAILED_PRECONDITION

HOSTILE_SCRIPTS: dict[str, tuple[str, Code]] = {
    # The budget, and catching its error
    "endless loop": ("while true do end", EXHAUSTED),
    "pcall in a loop": ("while true do pcall(function() while true do end end) end", EXHAUSTED),
    "xpcall handler that loops": ("xpcall(error, function() while true do end end)", EXHAUSTED),
    "xpcall body and handler loop": ("return xpcall(function() while true do end end, function() while true do end end)",
                                     EXHAUSTED),
    "handler that errors again": ("local function h(e) error(e) end xpcall(error, h) while true do end", EXHAUSTED),
    "pcall of a C call in a loop": ("for i = 1, math.maxinteger do pcall(string.rep, '', math.maxinteger) end",
                                    EXHAUSTED),
    "endless ipairs": ("for _ in ipairs(setmetatable({}, {__index = function() return 1 end})) do end", EXHAUSTED),
    # Single C calls that loop without an instruction
    "rep of nothing": ("return {reject = string.rep('', math.maxinteger)}", EXHAUSTED),
    "rep of nothing with nothing between": ("return {reject = string.rep('', 1e15, '')}", EXHAUSTED),
    "rep through the string metatable": ("return {reject = ('x'):rep(1e9)}", EXHAUSTED),
    "rep with a long separator": ("return {reject = string.rep('x', 1e6, string.rep('y', 1000))}", EXHAUSTED),
    "move over an empty billion": ("table.move({}, 1, 1e9, 1)", EXHAUSTED),
    "move through C metamethods": ("table.move(setmetatable({}, {__index = rawlen}), 1, math.maxinteger - 1, 1,"
                                   " setmetatable({}, {__newindex = rawequal}))", EXHAUSTED),
    "concat over a huge range": ("return {reject = table.concat(setmetatable({}, {__index = function() return '' end}),"
                                 " '', 1, math.maxinteger)}", EXHAUSTED),
    "concat of many empty strings, again and again": (
        "local t = {} for i = 1, 1e5 do t[i] = '' end for i = 1, 1e6 do table.concat(t) end", EXHAUSTED),
    "unpack a million": ("local t = setmetatable({}, {__index = function(_, k) return k end})"
                         " return {reject = tostring(#{table.unpack(t, 1, 1e7)})}", EXHAUSTED),
    "insert where the length lies": ("local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})"
                                     " table.insert(t, 1, 'x')", EXHAUSTED),
    "remove where the length lies": ("local t = setmetatable({}, {__len = function() return 2^40 end}) table.remove(t, 1)",
                                     EXHAUSTED),
    "sort where the length lies": ("table.sort(setmetatable({}, {__len = function() return 2^31 - 2 end,"
                                   " __index = rawlen}))", EXHAUSTED),
    "sort a big table again and again": ("local t = {} for i = 1, 2e5 do t[i] = -i end"
                                         " for j = 1, 100 do table.sort(t) end", EXHAUSTED),
    "sort with a comparator that lies": ("local t = {} for i = 1, 1e4 do t[i] = i end"
                                         " table.sort(t, function() return true end)", REFUSED),
    "insert at the front, quadratic": ("local t = {} for i = 1, 1e5 do table.insert(t, 1, i) end", EXHAUSTED),
    "plain find that compares at every place": (
        "return {reject = tostring(string.find(string.rep('a', 1e6), string.rep('a', 5e5) .. 'b'))}", EXHAUSTED),
    "find in a loop": ("local s = string.rep('a', 1e6) local p = string.rep('a', 100) .. 'b'"
                       " for i = 1, 1e6 do string.find(s, p) end", EXHAUSTED),
    "byte of a megabyte": ("local s = string.rep('x', 1e6) while true do local t = {s:byte(1, -1)} end", EXHAUSTED),
    "char of many": ("local t = {} for i = 1, 2e5 do t[i] = 65 end while true do string.char(table.unpack(t)) end",
                     EXHAUSTED),
    "format of megabytes in a loop": ("local a = {} for i = 1, 200 do a[i] = string.rep('x', 50000) end"
                                      " local f = string.rep('%s', 200) while true do string.format(f, table.unpack(a)) end",
                                      EXHAUSTED),
    "format at its widest": ("local n = {} for i = 1, 200 do n[i] = 1e300 end local f = string.rep('%99.99f', 200)"
                             " while true do string.format(f, table.unpack(n)) end", EXHAUSTED),
    "upper of megabytes in a loop": ("local s = string.rep('x', 8e6) while true do s:upper() end", EXHAUSTED),
    "utf8 len of megabytes in a loop": ("local s = string.rep('\\xe4', 4e6) while true do utf8.len(s) end", EXHAUSTED),
    "utf8 codepoint of a megabyte": ("local s = string.rep('a', 1e6) while true do utf8.codepoint(s, 1, -1) end",
                                     REFUSED),
    "utf8 char of many": ("local t = {} for i = 1, 2e5 do t[i] = 0x10FFFF end while true do utf8.char(table.unpack(t)) end",
                          EXHAUSTED),
    "pack of many": ("local t = {} for i = 1, 2e5 do t[i] = i end while true do table.pack(table.unpack(t)) end",
                     EXHAUSTED),
    # Single instructions that take long: the time limit
    "comparing two 4 MB strings": ("local a = string.rep('x', 4e6) local b = a:sub(1) while a == b do end", EXHAUSTED),
    "ordering two 4 MB strings": ("local a = string.rep('x', 4e6) local b = a:sub(1) while a <= b do end", EXHAUSTED),
    "converting a 4 MB number": ("local s = string.rep('1', 4e6) while true do local n = s + 0 end", EXHAUSTED),
    "joining 8 MB strings": ("local s = 'x' for i = 1, 23 do s = s .. s end while true do local t = s .. 'y' end",
                             EXHAUSTED),
    "long string keys": ("local k = string.rep('x', 4e6) local t = {[k] = 1} local k2 = k:sub(1)"
                         " while t[k2] do end", EXHAUSTED),
    # Memory
    "doubling a string": ("local s = 'x' while true do s = s .. s end", EXHAUSTED),
    "a table of tables": ("local t = {} while true do t[#t + 1] = {} end", EXHAUSTED),
    "deep recursion": ("local function f() return 1 + f() end return f()", EXHAUSTED),
    "deep recursion with growing arguments": ("local function f(...) return 1 + f(1, ...) end return f()", EXHAUSTED),
    "a key per string": ("local t = {} for i = 1, 3e5 do t['k' .. i] = i end for k in pairs(t) do end", EXHAUSTED),
    # Code run outside the budget, or things that are not there
    "a finalizer": ("setmetatable({}, {__gc = function() while true do end end})", REFUSED),
    "a finalizer set afterwards": ("local m = {__gc = true} setmetatable({}, m) m.__gc = function() while true do end end",
                                   REFUSED),
    "a close that loops": ("do local x <close> = setmetatable({}, {__close = function() while true do end end}) end",
                           EXHAUSTED),
    "a close that loops while unwinding": (
        "local x <close> = setmetatable({}, {__close = function() while true do end end}) error('boom')", EXHAUSTED),
    "an error whose text loops": ("error(setmetatable({}, {__tostring = function() while true do end end}))", REFUSED),
    "an answer whose text loops": ("return {reject = setmetatable({}, {__tostring = function() while true do end end})}",
                                   REFUSED),
    "an answer that is not UTF-8": ("return {reject = string.char(255)}", REFUSED),
    "an error that is not UTF-8": ("error(string.char(255, 254))", REFUSED),
    "an answer of many fields": ("local t = {} for i = 1, 2e5 do t[i] = 'x' end return t", REFUSED),
    "coroutines": ("local co = coroutine.wrap(function() while true do end end) co()", REFUSED),
    "load": ("load(string.rep('x', 1e6))()", REFUSED),
    "patterns": ("return {reject = string.match(string.rep('a', 30), '(a*)*b')}", REFUSED),
    "the debug library": ("debug.sethook()", REFUSED),
    "collectgarbage": ("collectgarbage('stop')", REFUSED),
    "changing the string library": ("getmetatable('').__index.rep = nil", REFUSED),
}
