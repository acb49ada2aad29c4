-- The sandbox tenant scripts run in. This chunk runs once per Lua runtime,
-- before any script, and is the only code that ever holds `debug`: it keeps
-- it for the instruction budget and hands scripts only what is listed here.
--
-- Called with the host functions (host_api.py); returns the controls the
-- Python side drives a run with (runtime.py).

local host = ...
local debug, error, setmetatable, getmetatable, rawget, type, next, load =
      debug, error, setmetatable, getmetatable, rawget, type, next, load
local sort = table.sort
local SANDBOX = "=sandbox"

-- A table scripts can read but never change. Scripts of one tenant share
-- these across calls, so a write would leak from one request into the next.
local function read_only(contents, name)
  return setmetatable({}, {
    __index = contents,
    __newindex = function() error(name .. " is read-only", 2) end,
    __metatable = name,
  })
end

local function pick(library, names)
  local picked = {}
  for _, name in ipairs(names) do picked[name] = library[name] end
  return picked
end

-- Lua patterns can backtrack for a very long time inside a single C call,
-- where the instruction budget never looks: scripts get plain `find` only.
local strings = pick(string, {"byte", "char", "format", "len", "lower", "rep", "reverse", "sub", "upper"})
local plain_find = string.find
strings.find = function(text, part, init) return plain_find(text, part, init, true) end
local string_library = read_only(strings, "string")
-- `("x"):match(p)` reaches the library through the strings' metatable.
local string_meta = debug.getmetatable("")
string_meta.__index = string_library
string_meta.__metatable = "string"

local maths = pick(math, {"abs", "ceil", "floor", "fmod", "huge", "max", "maxinteger", "min", "mininteger",
                          "modf", "pi", "sqrt", "tointeger", "type", "ult", "exp", "log"})

-- Table order must not depend on string hashes (seeded per runtime):
-- `pairs` walks keys sorted, numbers before strings, so runs repeat exactly.
local function key_before(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return false
end

local function ordered_pairs(t)
  local keys = {}
  for key in next, t do keys[#keys + 1] = key end
  sort(keys, key_before)
  local i = 0
  return function()
    i = i + 1
    local key = keys[i]
    if key ~= nil then return key, t[key] end
  end
end

-- A finalizer would run at some later collection, outside any budget.
local function guarded_setmetatable(t, meta)
  if type(meta) == "table" and rawget(meta, "__gc") ~= nil then
    error("__gc metamethods are not allowed in scripts", 2)
  end
  return setmetatable(t, meta)
end

-- Host functions answer (value, problem); a problem becomes a Lua error
-- pointing at the script's line.
local function host_function(name)
  local call = host[name]
  return function(...)
    local value, problem = call(...)
    if problem ~= nil then error("inventory." .. name .. ": " .. problem, 2) end
    return value
  end
end

local inventory = {}
for _, name in ipairs({"product", "location", "find_location", "on_hand", "available"}) do
  inventory[name] = host_function(name)
end

local base = {
  _VERSION = _VERSION,
  assert = assert, error = error, ipairs = ipairs, pairs = ordered_pairs, pcall = pcall, xpcall = xpcall,
  select = select, tonumber = tonumber, tostring = tostring, type = type,
  getmetatable = getmetatable, setmetatable = guarded_setmetatable, rawequal = rawequal, rawget = rawget, rawlen = rawlen,
  string = string_library,
  table = read_only(pick(table, {"concat", "insert", "move", "pack", "remove", "sort", "unpack"}), "table"),
  math = read_only(maths, "math"),
  utf8 = read_only(pick(utf8, {"char", "charpattern", "codepoint", "codes", "len", "offset"}), "utf8"),
  inventory = read_only(inventory, "inventory"),
}
local env_meta = {__index = base, __metatable = "environment"}

-- The instruction budget: a count hook. Once it fires it fires at every
-- instruction, so a script catching the error with pcall cannot go on.
local exhausted_at

local function script_line()
  for level = 3, 200 do
    local info = debug.getinfo(level, "Sl")
    if info == nil then return nil end
    if info.source ~= SANDBOX and info.what ~= "C" then return info.currentline end
  end
end

local function on_count()
  if exhausted_at == nil then
    exhausted_at = script_line() or 0
    debug.sethook(on_count, "", 1)
  end
  error("instruction budget exhausted", 0)
end

-- Each run gets fresh globals, so nothing a script sets outlives its request.
local function prepare(chunk, request)
  exhausted_at = nil
  debug.setupvalue(chunk, 1, setmetatable({request = request}, env_meta))
end

-- Text only: precompiled bytecode can break out of any sandbox.
local function compile(source, name)
  local chunk, problem = load(source, name, "t", base)
  return chunk or false, problem or ""
end

-- Defence in depth: nothing dangerous stays reachable even from the globals.
for _, name in ipairs({"debug", "load", "loadfile", "dofile", "require", "package", "io", "os",
                       "collectgarbage", "python", "coroutine"}) do
  _G[name] = nil
end

return {
  compile = compile,
  prepare = prepare,
  on_count = on_count,
  sethook = debug.sethook,
  exhausted_at = function() return exhausted_at end,
  rawget = rawget,
}
