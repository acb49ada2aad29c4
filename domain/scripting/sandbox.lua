-- The sandbox tenant scripts run in. This chunk runs once per Lua runtime,
-- before any script, and is the only code that ever holds `debug`: it keeps
-- it for the instruction budget and hands scripts only what is listed here.
--
-- Called with the host functions (host_api.py) and the chunk of library.lua;
-- returns the controls the Python side drives a run with (runtime.py).

local host, guarded_library = ...
local collectgarbage = collectgarbage
local debug, error, setmetatable, getmetatable, rawget, type, next, load, pcall, xpcall, match =
      debug, error, setmetatable, getmetatable, rawget, type, next, load, pcall, xpcall, string.match
local sort = table.sort
local SANDBOX = "=sandbox"
local BUDGET_ERROR = "instruction budget exhausted"

-- The run's budget (see `on_count` below): set by `prepare`, spent by the
-- count hook and by the library's charges for work done inside C functions.
local budget, spent, exhausted, exhausted_at = 0, 0, false, nil
local on_count

-- Over budget, the hook is armed to fire at the next instruction (still in
-- the library's Lua, before its C call): it then fails the run as usual.
local function spend(units)
  if units > 0 then
    spent = spent + units
    if spent > budget then debug.sethook(on_count, "", 1) end
  end
end

local library = guarded_library(spend)

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
local string_library = read_only(library.string, "string")
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

-- Lua calls an xpcall's message handler from inside the count hook when the
-- hook raised the error, with hooks off: a handler that loops would never be
-- stopped. Once the budget is spent a handler is not called at all. And both
-- catchers are Lua functions, so a C function (table.sort) calling one in a
-- loop runs an instruction each time, which fails again once the budget is spent.
local function guarded_xpcall(f, handler, ...)
  return xpcall(f, function(message)
    if exhausted then return message end
    return handler(message)
  end, ...)
end

local function guarded_pcall(f, ...)
  return pcall(f, ...)
end

local base = {
  _VERSION = _VERSION,
  assert = assert, error = error, ipairs = ipairs, pairs = ordered_pairs,
  pcall = guarded_pcall, xpcall = guarded_xpcall,
  select = select, tonumber = tonumber, tostring = tostring, type = type,
  getmetatable = getmetatable, setmetatable = guarded_setmetatable, rawequal = rawequal, rawget = rawget, rawlen = rawlen,
  string = string_library,
  table = read_only(library.table, "table"),
  math = read_only(maths, "math"),
  utf8 = read_only(library.utf8, "utf8"),
  inventory = read_only(inventory, "inventory"),
}
local env_meta = {__index = base, __metatable = "environment"}

-- The innermost frame of the script's own code, from `level` up.
local function script_frame(level)
  for up = level + 1, 200 do
    local info = debug.getinfo(up, "Sl")
    if info == nil then return nil end
    if info.source ~= SANDBOX and info.what ~= "C" then return info end
  end
end

local function script_line()
  local frame = script_frame(3)
  return frame and frame.currentline
end

-- The instruction budget: a count hook, fired by Lua after `budget`
-- instructions, or at once by the watchdog (watchdog.py) when the run is past
-- its time. Once it fires it fires at every instruction, so a script catching
-- the error with pcall cannot go on. The flags are set before anything that
-- allocates: a memory error inside the hook must not leave the run unmarked.
on_count = function()
  if not exhausted then
    exhausted = true
    debug.sethook(on_count, "", 1)
    exhausted_at = script_line() or 0
  end
  error(BUDGET_ERROR, 0)
end

-- Each run gets fresh globals, so nothing a script sets outlives its request.
local function prepare(chunk, request, instructions)
  budget, spent, exhausted, exhausted_at = instructions, 0, false, nil
  debug.setupvalue(chunk, 1, setmetatable({request = request}, env_meta))
end

-- A library function's own error is raised inside its guard, so Lua places
-- it in the sandbox: place it at the script's line instead.
local function locate(message)
  if exhausted or type(message) ~= "string" then return message end
  local problem = match(message, "^sandbox:%d+: (.*)")
  if problem == nil then return message end
  local frame = script_frame(2)
  return frame and (frame.short_src .. ":" .. frame.currentline .. ": " .. problem) or problem
end

-- A run: (true, answer) or (false, error). An answer has a few fields: one
-- of millions would cost the Python side, which reads it, unbounded time.
local MAX_ANSWER_FIELDS = 16

local function run(chunk, request)
  local ok, answer = xpcall(chunk, locate, request)
  if ok and type(answer) == "table" then
    local fields = 0
    for _ in next, answer do
      fields = fields + 1
      if fields > MAX_ANSWER_FIELDS then return false, "answered more than 16 fields" end
    end
  end
  return ok, answer
end

-- Text only: precompiled bytecode can break out of any sandbox.
local function compile(source, name)
  local chunk, problem = load(source, name, "t", base)
  return chunk or false, problem or ""
end

-- The address of the Lua state runs happen on, for the watchdog's lua_sethook.
local state = tostring(coroutine.running())

-- Defence in depth: nothing dangerous stays reachable even from the globals.
for _, name in ipairs({"debug", "load", "loadfile", "dofile", "require", "package", "io", "os",
                       "collectgarbage", "python", "coroutine"}) do
  _G[name] = nil
end

return {
  compile = compile,
  run = run,
  prepare = prepare,
  on_count = on_count,
  sethook = debug.sethook,
  exhausted_at = function() return exhausted and (exhausted_at or 0) or nil end,
  collect = function() collectgarbage("collect") end,
  rawget = rawget,
  state = state,
}
