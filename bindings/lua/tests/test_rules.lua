-- tier.rules, assignments over periods, events, overrides and what-if comparisons.
local tier = require "tier"
local check = require "check"
local D, T0 = check.DAY, check.T0

local tests = {}
local function test(name, fn) tests[#tests + 1] = {name, fn} end

local RULES = [[
tier Gold when monetary >= 50
    label "Best"
    retain when monetary >= 30
tier Silver when monetary >= 5
otherwise Bronze
policy grace 1 evaluation
]]

-- A rises, B falls but keeps Gold by retain, C falls, D stays, E is gone, F is new.
local function period2()
  return tier.from_transactions({"A", "B", "C", "D", "F"}, {T0 + 150 * D, T0 + 150 * D,
    T0 + 150 * D, T0 + 150 * D, T0 + 150 * D}, {60, 35, 1, 6, 10}, nil, {as_of = T0 + 200 * D})
end

test("compile and describe", function()
  local r = tier.rules(RULES, "loyalty.tier")
  check.eq(r:tiers(), {"Gold", "Silver", "Bronze"}, "tiers")
  check.eq(r:labels(), {"Best", "Silver", "Bronze"}, "labels")
  check.eq(r:columns(), {"monetary"}, "columns")
  check.eq(r:source(), "loyalty.tier", "source")
  check.eq({r:policy()}, {1, 0}, "grace, max downgrade")
  check.eq(r:has_retain("Gold"), true, "retain")
  check.eq(r:has_retain(2), false, "no retain")
  check.eq(r:tier_index("Bronze"), 3, "index")
  check.raises("", r.tier_index, r, "Platinum")
  local pinned = tier.rules(RULES .. 'pin "C" to Gold until 2011-06-30\n')
  check.eq(pinned:pins(), {{customer = "C", tier = "Gold", ["until"] = 1309478400}}, "pins")
end)

test("errors point at the text", function()
  local ds = check.small_dataset(tier)
  local err = check.raises("r.tier:1:", tier.rules, "tier Gold when monetary >>= 5\notherwise X\n",
                           "r.tier")
  check.truthy(err:find("^r%.tier:1:"), "message starts with the position")
  check.raises("did you mean 'monetary'", tier.rules, "tier Gold when monetry > 5\notherwise X\n",
               nil, ds)
  local late = tier.rules("tier Gold when monetry > 5\notherwise X\n")
  check.raises("rules:1:16", late.assign, late, ds)
  check.raises("rules:1:16", late.check, late, ds)
  local r, msg, status = tier.safe.rules("tier")
  check.eq(r, nil, "safe: nil")
  check.eq(type(msg), "string", "safe: message")
  check.eq(status, -5, "safe: TIER_EPARSE")
  local ok, msg2 = tier.safe.call(late, "assign", ds)
  check.eq(ok, nil, "safe method: nil")
  check.truthy(msg2:find("monetry", 1, true), "safe method: message")
end)

test("evaluate and a first assignment", function()
  local ds = check.small_dataset(tier)
  local r = tier.rules(RULES)
  check.eq(r:evaluate(ds), {"Silver", "Gold", "Silver", "Silver", "Bronze"}, "evaluate")
  local a = r:assign(ds)
  check.eq(#a, 5, "size")
  check.eq(a:time(), ds:as_of(), "time")
  local counts, order = a:counts()
  check.eq(counts, {Gold = 1, Silver = 3, Bronze = 1}, "counts")
  check.eq(order, {"Gold", "Silver", "Bronze"}, "order")
  check.eq(a:column(), {"Silver", "Gold", "Silver", "Silver", "Bronze"}, "per customer")
  check.eq(a:tier("B"), "Gold", "by id")
  check.eq(a:tier(2), "Gold", "by row")
  check.eq(a:tier("nobody"), nil, "unknown")
  check.eq(a:find("E"), 5, "find")
  for _, e in ipairs(a:events()) do check.eq(e.kind, "new", "first events") end
  a:to_column(ds, "tier")
  check.eq(ds:totable("tier"), a:column(), "to_column")
end)

test("periods: grace, retain, gone, downgrade", function()
  local r = tier.rules(RULES)
  local first = r:assign(check.small_dataset(tier))
  local ds2 = period2()
  local second = r:assign(ds2, first)
  check.eq(second:column(), {"Gold", "Gold", "Silver", "Silver", "Silver"}, "tiers")
  check.eq(second:qualified(), {"Gold", "Silver", "Bronze", "Silver", "Silver"}, "qualified")
  check.eq(second:grace(), {0, 0, 1, 0, 0}, "grace")
  local seen = {}
  for _, e in ipairs(second:events()) do
    seen[#seen + 1] = e.customer .. ":" .. e.kind .. ":" .. tostring(e.old) .. ">" .. tostring(e.new)
  end
  table.sort(seen)
  check.eq(seen, {"A:upgrade:Silver>Gold", "C:held:Silver>Silver", "E:gone:Bronze>nil",
                  "F:new:nil>Silver"}, "events")
  local third = r:assign(ds2, second, {time = T0 + 300 * D})
  check.eq(third:tier("C"), "Bronze", "downgraded after grace")
  local moves = {}
  for _, t in ipairs(first:transitions(second)) do
    moves[tostring(t.from) .. ">" .. tostring(t.to)] = t.count
  end
  check.eq(moves["Silver>Gold"], 1, "upgrade")
  check.eq(moves["nil>Silver"], 1, "new")
  check.eq(moves["Bronze>nil"], 1, "gone")
  check.raises("", r.assign, r, ds2, third) -- time must move forward
end)

test("overrides, save and load", function()
  local r = tier.rules(RULES)
  local ds = check.small_dataset(tier)
  local a = r:assign(ds, nil, {overrides = {{"E", "Gold", "2012-01-01"}}})
  check.eq(a:tier("E"), "Gold", "pinned")
  check.eq(a:overrides(), {{customer = "E", tier = "Gold", ["until"] = 1325376000}}, "carried")
  check.raises("", r.assign, r, ds, nil, {overrides = {{"E", "Platinum", "2012-01-01"}}})
  check.raises("override #1", r.assign, r, ds, nil, {overrides = {"E"}})
  local path = check.tmpname(".tierassign")
  a:save(path)
  local back = tier.load_assignment(path)
  check.eq(back:column(), a:column(), "tiers")
  check.eq(back:overrides(), a:overrides(), "overrides")
  check.eq(back:events(), a:events(), "events")
  os.remove(path)
  local events = check.tmpname(".csv")
  a:write_events(events)
  local f = assert(io.open(events))
  check.eq(f:read("l"), "customer_id,time,kind,old_tier,new_tier", "events header")
  f:close()
  os.remove(events)
end)

test("what-if", function()
  local current = tier.rules(RULES)
  local candidate = tier.rules("tier Top when monetary >= 6\notherwise Rest\n")
  local w = current:whatif(candidate, check.small_dataset(tier))
  check.eq((w:current():counts()), {Gold = 1, Silver = 3, Bronze = 1}, "current")
  check.eq((w:candidate():counts()), {Top = 3, Rest = 2}, "candidate")
  check.eq(w:changed(), 5, "changed")
  check.eq(w:transition("Silver", "Top"), 2, "transition")
  check.raises("no tier", w.transition, w, "Silver", "Nope")
end)

test("retail rules", function()
  local ds = check.retail_dataset(tier)
  local a = tier.load_rules(check.rules .. "/retail.tier", ds):assign(ds)
  local counts, order = a:counts()
  check.eq(order, {"Diamond", "Gold", "Silver", "Normal"}, "tiers")
  local mon, freq, rec = ds:column("monetary"), ds:column("frequency"), ds:column("recency")
  local diamonds = 0
  for i = 1, #ds do
    if mon[i] >= 5000 and freq[i] >= 10 and rec[i] <= 90 then diamonds = diamonds + 1 end
  end
  check.eq(counts.Diamond, diamonds, "Diamond by hand")
  check.eq(counts.Diamond + counts.Gold + counts.Silver + counts.Normal, #ds, "everyone")
end)

check.run(tests)
