-- The library functions scripts get, guarded. Run once per Lua runtime by
-- sandbox.lua, with `spend(units)`, which charges work to the run's budget
-- (and fails the run once it is spent).
--
-- The count hook only sees Lua instructions: a single call into a C library
-- function can loop for minutes without one (`string.rep("", 2^62)`,
-- `table.move` over an empty range of a billion). So every function whose
-- cost grows with its arguments is charged, before it runs, for what it will
-- do: a unit per element it visits, per 64 bytes it copies, compares or
-- scans, per 8 repetitions. Functions that loop to a table's length, which a
-- `__len` metamethod may report differently each time it is asked, are
-- written in Lua here (their loops are counted like the script's own) or
-- given their range explicitly. Wrappers are kept to a few instructions:
-- those count against the script's budget too.

local spend = ...
local string, table, utf8 = string, table, utf8
local type, select, tonumber, error = type, select, tonumber, error
local tointeger, math_type, max, log = math.tointeger, math.type, math.max, math.log

-- The integer a C function reads from an argument (numbers may come as
-- text); nil when it is none, and the C function then raises its own error.
local function integer(value)
  if math_type(value) == "integer" then return value end
  return tointeger(tonumber(value) or 0.5)
end

-- Bytes of an argument used as text (a number's text is short).
local function size(value)
  if type(value) == "string" then return #value end
  return 64
end

-- The number of positions from i to j in something `length` long, counted
-- the way string.sub and string.byte count them (negative from the end).
local function span(length, i, j)
  if i < 0 then i = max(length + i + 1, 1) elseif i == 0 then i = 1 end
  if j < 0 then j = length + j + 1 elseif j > length then j = length end
  return max(j - i + 1, 0)
end

local strings = {len = string.len}
local rep, byte, char, sub, format, find = string.rep, string.byte, string.char, string.sub, string.format, string.find

function strings.rep(s, n, sep)
  local count = integer(n)
  if count and count > 0 then  -- in floats: a huge count must not wrap around
    spend(count / 8 + (count + 0.0) * (size(s) + (sep == nil and 0 or size(sep))) / 64)
  end
  return rep(s, n, sep)
end

function strings.byte(s, i, j)
  local first = integer(i or 1)
  local last = integer(j or first)
  if first and last then spend(span(size(s), first, last)) end
  return byte(s, i, j)
end

function strings.char(...)
  spend(select("#", ...))
  return char(...)
end

function strings.sub(s, i, j)
  local first, last = integer(i or 1), integer(j or -1)
  if first and last then spend(span(size(s), first, last) / 64) end
  return sub(s, i, j)
end

local function whole_string(real)
  return function(s)
    spend(size(s) / 64)
    return real(s)
  end
end
strings.lower, strings.upper, strings.reverse =
  whole_string(string.lower), whole_string(string.upper), whole_string(string.reverse)

-- Bounded by the memory cap in one call (a conversion is at most 99 wide);
-- charged afterwards for what it made, so a loop of big formats pays its way.
function strings.format(...)
  local formatted = format(...)
  spend(#formatted / 64)
  return formatted
end

-- Plain text only: Lua patterns backtrack without bound inside one call.
-- The plain search may compare up to the whole part at every position.
function strings.find(s, part, init)
  spend(size(s) * max(size(part), 1) / 64)
  return find(s, part, init, true)
end

local tables = {}
local concat, unpack, move, sort = table.concat, table.unpack, table.move, table.sort

local function length(t, name)
  if type(t) ~= "table" then error("bad argument #1 to '" .. name .. "' (table expected, got " .. type(t) .. ")", 3) end
  return #t
end

function tables.insert(t, ...)
  local last = length(t, "insert") + 1
  local count = select("#", ...)
  if count == 1 then
    t[last] = ...
    return
  elseif count ~= 2 then
    error("wrong number of arguments to 'insert'", 2)
  end
  local pos, value = ...
  pos = integer(pos)
  if pos == nil then error("bad argument #2 to 'insert' (number has no integer representation)", 2) end
  if pos < 1 or pos > last then error("bad argument #2 to 'insert' (position out of bounds)", 2) end
  for i = last, pos + 1, -1 do t[i] = t[i - 1] end
  t[pos] = value
end

function tables.remove(t, pos)
  local size_now = length(t, "remove")
  if pos == nil then
    pos = size_now
  else
    pos = integer(pos)
    if pos == nil then error("bad argument #2 to 'remove' (number has no integer representation)", 2) end
    if pos ~= size_now and (pos < 1 or pos > size_now + 1) then
      error("bad argument #2 to 'remove' (position out of bounds)", 2)
    end
  end
  local removed = t[pos]
  for i = pos, size_now - 1 do t[i] = t[i + 1] end
  t[pos < size_now and size_now or pos] = nil
  return removed
end

-- The range a table function will walk, made explicit (so the C function
-- does not ask `#t` again) and charged; in floats, so it cannot wrap around.
local function charge_range(t, i, j, name)
  local first = i == nil and 1 or integer(i)
  local last = j == nil and length(t, name) or integer(j)
  if first and last and last >= first then spend(last - (first + 0.0) + 1) end
  return first or i, last or j
end

function tables.concat(t, sep, i, j)
  local first, last = charge_range(t, i, j, "concat")
  local joined = concat(t, sep, first, last)
  spend(#joined / 64)
  return joined
end

function tables.unpack(t, i, j)
  local first, last = charge_range(t, i, j, "unpack")
  return unpack(t, first, last)
end

function tables.move(a1, f, e, t, a2)
  local first, last = integer(f), integer(e)
  if first and last and last >= first then spend(last - (first + 0.0) + 1) end
  return move(a1, f, e, t, a2)
end

-- C's sort asks `#t` itself; sort a plain copy, so no length a metamethod
-- reports later can make it loop longer than it was charged for.
function tables.sort(t, comparator)
  local count = length(t, "sort")
  if count < 2 then return end
  spend(count * (log(count, 2) + 1))
  local copy = {}
  for i = 1, count do copy[i] = t[i] end
  sort(copy, comparator)
  for i = 1, count do t[i] = copy[i] end
end

function tables.pack(...)
  spend(select("#", ...))
  return table.pack(...)
end

local utf8s = {charpattern = utf8.charpattern, codes = utf8.codes}
local utf8_char = utf8.char

function utf8s.char(...)
  spend(select("#", ...))
  return utf8_char(...)
end

local function decodes(real)
  return function(s, ...)
    spend(size(s) / 16)  -- decoding goes byte by byte
    return real(s, ...)
  end
end
utf8s.codepoint, utf8s.len, utf8s.offset = decodes(utf8.codepoint), decodes(utf8.len), decodes(utf8.offset)

return {string = strings, table = tables, utf8 = utf8s}
