-- A tiny test harness for the Lua binding's tests (plain Lua 5.4, no busted needed).
--
-- Run a test file with the built module on LUA_CPATH and this directory on LUA_PATH:
--   LUA_CPATH='build/bindings/?.so' LUA_PATH='bindings/lua/tests/?.lua' \
--     lua5.4 bindings/lua/tests/test_dataset.lua
-- `meson test --suite lua` does exactly that. TIER_EXAMPLES points at examples/ (default: the
-- source tree's, found from this file's location).

local check = {}

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
check.examples = os.getenv("TIER_EXAMPLES") or (here .. "/../../../examples")
check.data = check.examples .. "/data"
check.rules = check.examples .. "/rules"

check.DAY = 86400
check.T0 = 1293840000 -- 2011-01-01T00:00:00Z

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" then return tostring(v) end
  local parts = {}
  for k, x in pairs(v) do parts[#parts + 1] = tostring(k) .. "=" .. show(x) end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end
check.show = show

local function same(a, b)
  if type(a) == "number" and type(b) == "number" and a ~= a and b ~= b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function check.eq(got, want, what)
  if not same(got, want) then
    error(string.format("%s: got %s, want %s", what or "value", show(got), show(want)), 2)
  end
end

function check.near(got, want, tol, what)
  if type(got) ~= "number" or math.abs(got - want) > (tol or 1e-9) then
    error(string.format("%s: got %s, want %s (within %g)", what or "value", tostring(got),
                        tostring(want), tol or 1e-9), 2)
  end
end

function check.truthy(v, what)
  if not v then error((what or "condition") .. " is false", 2) end
end

function check.isnan(v, what)
  if v == v then error(string.format("%s: got %s, want NaN", what or "value", tostring(v)), 2) end
end

-- Calls fn(...) and requires an error whose message contains `pattern` (plain text).
-- Returns the error value.
function check.raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected an error containing '" .. pattern .. "', got none", 2) end
  if pattern ~= "" and not tostring(err):find(pattern, 1, true) then
    error(string.format("expected an error containing '%s', got: %s", pattern, tostring(err)), 2)
  end
  return err
end

function check.tmpname(suffix)
  local name = os.tmpname()
  os.remove(name)
  return name .. (suffix or "")
end

-- Five customers with hand-checkable features at as_of = T0 + 100 days (see the Python
-- tests' helpers.small_dataset: the same data).
function check.small_dataset(tier)
  local D, T0 = check.DAY, check.T0
  return tier.from_transactions(
    {"A", "A", "B", "B", "C", "D", "D", "D", "E"},
    {T0, T0 + 50 * D, T0 + 90 * D, T0 + 95 * D, T0 + 10 * D, T0 + 20 * D, T0 + 20 * D + 60,
     T0 + 60 * D, T0 + 30 * D},
    {10.0, 30.0, 100.0, -20.0, 5.0, 1.0, 2.0, 3.0, -7.0},
    {"a1", "a2", "b1", "b2", false, "o1", "o1", "o2", "e1"},
    {as_of = T0 + 100 * D})
end

function check.retail_dataset(tier)
  return tier.load_csv(check.data .. "/online_retail.csv.gz", {
    customer = "CustomerID", time = "InvoiceDate", quantity = "Quantity",
    price = "UnitPrice", order = "InvoiceNo", categorical = {"Country"}})
end

function check.orders_dataset(tier)
  return tier.load_csv(check.data .. "/rfm_data_orders.csv",
                       {time = "order_date", amount = "revenue", as_of = "2006-12-31"})
end

-- Runs {{name, fn}, ...}; prints one line per test; exits 1 if any failed.
function check.run(tests)
  local failed = 0
  for _, t in ipairs(tests) do
    local ok, err = xpcall(t[2], debug.traceback)
    if ok then
      print("ok   " .. t[1])
    else
      failed = failed + 1
      print("FAIL " .. t[1] .. "\n" .. tostring(err))
    end
    collectgarbage()
  end
  print(string.format("%d tests, %d failed", #tests, failed))
  os.exit(failed == 0 and 0 or 1, true) -- close the state: every finalizer runs
end

return check
