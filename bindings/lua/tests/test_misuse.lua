-- Misuse must raise, never crash: wrong types, closed handles, freed owners, errors inside
-- Lua strategies, re-entrancy, coroutines, garbage-collection order and closing the state.
local tier = require "tier"
local check = require "check"

local tests = {}
local function test(name, fn) tests[#tests + 1] = {name, fn} end

local RULES = "tier Gold when monetary >= 50\ntier Silver when monetary >= 5\notherwise Bronze\n"

test("wrong types", function()
  local ds = check.small_dataset(tier)
  local rfm = tier.rfm{nan = "unscored"}
  local rules = tier.rules(RULES)
  check.raises("tier.dataset expected", rfm.fit, rfm, "not a dataset")
  check.raises("tier.dataset expected", rfm.apply, rfm, rules)
  check.raises("tier.scorer expected", rfm.fit, rules, ds) -- a method with the wrong self
  check.raises("tier.dataset expected", rules.assign, rules, rfm)
  check.raises("tier.assignment expected", rules.assign, rules, ds, "last month")
  check.raises("tier.rules expected", rules.whatif, rules, "candidate", ds)
  check.raises("", ds.set, ds, "x", {{}, {}, {}, {}, {}})
  check.raises("table", ds.set, ds, "x", 3)
  check.raises("", tier.rules, 123 .. "") -- a number is text here, and bad rules
  check.raises("string expected", tier.rules, {})
  check.raises("", ds.compute_features, ds, "yesterday")
  check.raises("", ds.compute_features, ds, true)
  check.raises("option 'customer' must be a string", tier.load_csv, "x.csv", {customer = 3})
  check.raises("must be a function", tier.load_csv, "x.csv", {progress = 42})
  check.raises("invalid nan", tier.rfm, {nan = "skip"})
  check.raises("", tier.rfm, {bins = 1})
  check.raises("a tier handle expected", ds.close, "x")
  check.raises("a tier handle expected", ds.close, setmetatable({}, {__name = "other"}))
end)

test("closed handles raise", function()
  local ds = check.small_dataset(tier)
  local rules = tier.rules(RULES)
  local objects = {
    {ds, function() return ds:size() end},
    {tier.rfm(), function(o) return o:outputs() end},
    {rules, function(o) return o:tiers() end},
    {rules:assign(check.small_dataset(tier)), function(o) return o:counts() end},
    {tier.ahp({"a", "b"}), function(o) return o:compute() end},
    {tier.ahp_hierarchy("g"), function(o) return o:add("x") end},
    {tier.summary(check.small_dataset(tier), {by = "frequency"}), function(o) return o:rows() end},
    {tier.rules(RULES):whatif(tier.rules(RULES), check.small_dataset(tier)),
     function(o) return o:changed() end},
  }
  for _, item in ipairs(objects) do
    local obj, call = item[1], item[2]
    check.eq(obj:is_closed(), false, "open")
    obj:close()
    check.eq(obj:is_closed(), true, "closed")
    check.raises("closed", call, obj)
    obj:close() -- idempotent
    check.truthy(tostring(obj):find("closed", 1, true), "tostring")
  end
end)

test("closed handles as arguments and <close> variables", function()
  local ds = check.small_dataset(tier)
  local rules = tier.rules(RULES)
  local prev = rules:assign(ds)
  prev:close()
  check.raises("closed", rules.assign, rules, ds, prev)
  local closed = check.small_dataset(tier)
  closed:close()
  check.raises("closed", tier.rfm().fit, tier.rfm(), closed)
  check.raises("closed", rules.assign, rules, closed)
  check.raises("closed", ds.merge, ds, closed)
  check.raises("closed", tier.summary, closed, {by = "recency"})
  check.raises("closed", tier.rules, RULES, nil, closed)
  local a = tier.ahp({"a", "b"}):set("a", "b", 2)
  a:compute()
  a:close()
  check.raises("closed", tier.ahp_scorer, a)
  check.raises("closed", tier.ahp_aggregate, {a})
  local kept
  do
    local d <close> = check.small_dataset(tier)
    local r <close> = tier.rfm{bins = 2, nan = "unscored"}
    r:fit_apply(d)
    kept = d
  end
  check.eq(kept:is_closed(), true, "closed at the end of the block")
end)

test("owners: columns, what-if children, lent datasets", function()
  local ds = check.small_dataset(tier)
  local col = ds:column("monetary")
  ds = nil
  collectgarbage()
  collectgarbage()
  check.eq(col[1], 40, "a column keeps its dataset alive")
  local w = tier.rules(RULES):whatif(tier.rules("tier T when frequency >= 2\notherwise R\n"),
                                     check.small_dataset(tier))
  local cand = w:candidate()
  w = nil
  collectgarbage()
  collectgarbage()
  check.eq((cand:counts()), {T = 2, R = 3}, "a child keeps the comparison alive")
  local w2 = tier.rules(RULES):whatif(tier.rules(RULES), check.small_dataset(tier))
  local cur = w2:current()
  w2:close()
  check.raises("owner (tier.whatif) is closed", cur.counts, cur)
  check.eq(cur:is_closed(), true, "reports closed")
  local kept = {}
  local sc = tier.scorer{
    name = "keeper", outputs = {"k"},
    apply = function(self, d)
      kept.ds = d
      kept.col = d:column("monetary")
      local out = {}
      for i = 1, #d do out[i] = kept.col[i] end
      return out
    end,
  }
  local real = check.small_dataset(tier)
  sc:apply(real)
  check.eq(real:totable("k"), real:totable("monetary"), "computed from the lent dataset")
  check.raises("closed", kept.ds.size, kept.ds)
  check.raises("closed", function() return kept.col[1] end)
end)

test("errors inside strategies propagate unchanged", function()
  local ds = check.small_dataset(tier)
  local columns = #ds:columns()
  local boom = {reason = "boom"}
  for _, where in ipairs({"fit", "apply"}) do
    local s = {name = "failing", outputs = {"out"},
               apply = function(self, d) return {} end}
    s[where] = function() error(boom) end
    if where == "fit" then s.apply = function(self, d) return {1, 1, 1, 1, 1} end end
    local sc = tier.scorer(s)
    local err = check.raises("", sc.fit_apply, sc, ds)
    check.truthy(rawequal(err, boom), where .. ": the very same error object")
    check.eq(#ds:columns(), columns, where .. ": a failing scorer writes nothing")
  end
  local sc = tier.scorer{name = "strings", outputs = {"o"},
                         apply = function() error("plain message") end}
  local err = check.raises("plain message", sc.apply, sc, ds)
  check.truthy(err:find("test_misuse.lua", 1, true), "with the position of the error")
  local nilerr = tier.scorer{name = "nilerr", outputs = {"o"}, apply = function() error() end}
  local ok, e = pcall(nilerr.apply, nilerr, ds)
  check.eq(ok, false, "error(nil) still fails")
  check.eq(e, "scorer 'nilerr' apply: apply raised a nil value", "with the library's message")
end)

test("errors in save and load", function()
  local ds = check.small_dataset(tier)
  local function strategy(fail)
    return {name = "persist", outputs = {"p"},
            fit = function(self) self.state = "ok" end,
            apply = function(self, d) local o = {} for i = 1, #d do o[i] = 1 end return o end,
            save = function(self) if fail == "save" then error("no save") end return self.state end,
            load = function(self, data)
              if fail == "load" then error("no load: " .. data) end
              self.state = data
            end}
  end
  local path = check.tmpname(".model")
  local sc = tier.scorer(strategy("save")):fit(ds)
  check.raises("no save", sc.save, sc, path)
  check.eq(io.open(path), nil, "nothing written")
  tier.scorer(strategy()):fit(ds):save(path)
  check.raises("no load: ok", tier.load_custom_model, path, strategy("load"))
  local bad = tier.scorer{name = "returns", outputs = {"p"}, fit = function() end,
                          save = function() return 42 end, apply = function() return {} end}
  bad:fit(ds)
  check.raises("save must return a string", bad.save, bad, path)
  local other = strategy()
  other.name = "other"
  check.raises("", tier.load_custom_model, path, other) -- another kind
  os.remove(path)
end)

test("bad apply results", function()
  local ds = check.small_dataset(tier)
  local cases = {
    {{1, 2}, "needs 5 values"},
    {{other = {1, 2, 3, 4, 5}}, "no values for output"},
    {{"a", "b", "c", "d", "e"}, "must be a number"},
    {42, "must return a table"},
  }
  for _, c in ipairs(cases) do
    local sc = tier.scorer{name = "ret", outputs = {"out"}, apply = function() return c[1] end}
    check.raises(c[2], sc.apply, sc, ds)
  end
  local cat = tier.scorer{name = "cat", outputs = {{"c", "categorical"}},
                          apply = function() return {{1, 2, 3, 4, 5}} end}
  check.raises("must be a string", cat.apply, cat, ds)
end)

test("callbacks cannot break the call in progress", function()
  local ds = check.small_dataset(tier)
  local sc
  local function strategy(action)
    return {name = "meddler", outputs = {"m"},
            apply = function(self, d)
              action(d)
              local o = {}
              for i = 1, #d do o[i] = 0 end
              return o
            end}
  end
  sc = tier.scorer(strategy(function(d) d:set("x", {1, 1, 1, 1, 1}) end))
  check.raises("read-only", sc.apply, sc, ds)
  sc = tier.scorer(strategy(function() ds:set("x", {1, 1, 1, 1, 1}) end))
  check.raises("being scored", sc.apply, sc, ds)
  sc = tier.scorer(strategy(function() ds:close() end))
  check.raises("cannot close", sc.apply, sc, ds)
  sc = tier.scorer(strategy(function(d) sc:apply(ds) end))
  check.raises("already running", sc.apply, sc, ds)
  sc = tier.scorer(strategy(function() sc:close() end))
  check.raises("cannot close", sc.apply, sc, ds)
  check.eq(ds:has_column("x"), false, "nothing changed")
  ds:set("x", {1, 1, 1, 1, 1}) -- usable again afterwards
  -- a nested scorer inside a callback works
  local inner = tier.scorer{name = "inner", outputs = {"i"},
                            apply = function() error("inner failure") end}
  local outer = tier.scorer(strategy(function()
    local other = check.small_dataset(tier)
    local ok, err = pcall(inner.apply, inner, other)
    assert(not ok and err:find("inner failure"))
  end))
  outer:apply(ds)
  check.eq(ds:totable("m"), {0, 0, 0, 0, 0}, "outer result")
end)

test("coroutines", function()
  local ds = check.small_dataset(tier)
  local sc = tier.scorer{name = "co", outputs = {"c"},
                         apply = function(self, d)
                           local o = {}
                           for i = 1, #d do o[i] = i end
                           return o
                         end}
  local co = coroutine.wrap(function() sc:apply(ds) return "done" end)
  check.eq(co(), "done", "scoring inside a coroutine")
  check.eq(ds:totable("c"), {1, 2, 3, 4, 5}, "values")
  local yielding = tier.scorer{name = "yield", outputs = {"y"},
                               apply = function() coroutine.yield() end}
  local co2 = coroutine.create(function() return yielding:apply(ds) end)
  local ok, err = coroutine.resume(co2)
  check.eq(ok, false, "yield across the library is refused")
  check.truthy(tostring(err):find("yield", 1, true), tostring(err))
end)

test("no leaks over many failures", function()
  local ds = check.small_dataset(tier)
  local function registry_size()
    local n = 0
    for _ in pairs(debug.getregistry()) do n = n + 1 end
    return n
  end
  local path = check.tmpname(".model")
  tier.scorer{name = "leak", outputs = {"l"}, fit = function() end,
              save = function() return "s" end,
              apply = function() return {1, 1, 1, 1, 1} end}:fit(ds):save(path)
  collectgarbage()
  local before_reg = registry_size()
  local sc = tier.scorer{name = "leak", outputs = {"l"}, fit = function() end,
                         apply = function() error({}) end}
  sc:fit(ds)
  for _ = 1, 50 do pcall(sc.apply, sc, ds) end -- warm up
  collectgarbage()
  collectgarbage()
  local before = collectgarbage("count")
  for _ = 1, 2000 do
    pcall(sc.apply, sc, ds)
    pcall(tier.load_custom_model, path, {name = "leak", outputs = {"l"},
                                         apply = function() end,
                                         load = function() error("x") end})
  end
  sc:close()
  sc = nil
  collectgarbage()
  collectgarbage()
  local after = collectgarbage("count")
  check.truthy(after - before < 64, string.format("Lua memory grew by %.1f KiB", after - before))
  check.eq(registry_size(), before_reg, "registry entries released")
  os.remove(path)
end)

test("garbage collection in any order", function()
  local names = {"ds", "col", "rfm", "custom", "rules", "assignment", "whatif", "child",
                 "summary", "ahp"}
  local seed = 12345
  local function random(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n + 1 end
  for round = 1, 12 do
    local objs = {}
    objs.ds = check.small_dataset(tier)
    objs.col = objs.ds:column("monetary")
    objs.rfm = tier.rfm{bins = 2, nan = "unscored"}:fit_apply(objs.ds)
    objs.custom = tier.scorer{name = "gc", outputs = {"g"},
                              apply = function(self, d) return {1, 2, 3, 4, 5} end}
    objs.custom:apply(objs.ds)
    objs.rules = tier.rules(RULES)
    objs.assignment = objs.rules:assign(objs.ds)
    objs.whatif = objs.rules:whatif(objs.rules, objs.ds)
    objs.child = objs.whatif:current()
    objs.summary = tier.summary(objs.ds, {by = "r_score"})
    objs.ahp = tier.ahp({"a", "b"}):set("a", "b", 3)
    local order = {}
    for i = 1, #names do order[i] = names[i] end
    if round == 2 then
      for i = 1, #order // 2 do order[i], order[#order + 1 - i] = order[#order + 1 - i], order[i] end
    elseif round > 2 then
      for i = #order, 2, -1 do local j = random(i) order[i], order[j] = order[j], order[i] end
    end
    for _, name in ipairs(order) do
      if name == "child" and objs.child then check.eq(#objs.child, 5, "child readable") end
      if name == "col" and objs.col then check.eq(objs.col[1], 40, "column readable") end
      objs[name] = nil
      collectgarbage()
    end
  end
end)

test("closing the state with live objects", function()
  local lua = arg[-1] or "lua5.4"
  local script = check.tmpname(".lua")
  local f = assert(io.open(script, "w"))
  f:write([[
local tier = require "tier"
local check = require "check"
ds = check.small_dataset(tier)
col = ds:column("monetary")
sc = tier.scorer{name = "exit", outputs = {"e"}, apply = function() return {1, 1, 1, 1, 1} end}
sc:apply(ds)
w = tier.rules("otherwise All\n"):whatif(tier.rules("otherwise All\n"), ds)
child = w:current()
setmetatable({}, {__gc = function() print(child:size(), col[1]) end})
print("done")
os.exit(0, true) -- closes the state: every finalizer runs
]])
  f:close()
  local p = assert(io.popen(string.format("%q %q 2>&1", lua, script)))
  local out = p:read("a")
  local ok, how, code = p:close()
  os.remove(script)
  check.eq(ok, true, "exit status (" .. tostring(how) .. " " .. tostring(code) .. "): " .. out)
  check.truthy(out:find("^done\n"), out)
end)

check.run(tests)
