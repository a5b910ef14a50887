-- Scorers from Lua: RFM, AHP scorer, k-means, model files, and strategies written in Lua.
local tier = require "tier"
local check = require "check"

local tests = {}
local function test(name, fn) tests[#tests + 1] = {name, fn} end

-- R's type-7 quantile (numpy.quantile's default).
local function quantile7(values, p)
  local xs = {}
  for i, v in ipairs(values) do xs[i] = v end
  table.sort(xs)
  local h = (#xs - 1) * p
  local lo = math.floor(h)
  return xs[lo + 1] + (h - lo) * (xs[math.min(lo + 2, #xs)] - xs[lo + 1])
end

test("rfm quantile cuts are type-7 quantiles plus one", function()
  local ds = check.orders_dataset(tier)
  local rfm = tier.rfm{bins = 5, mode = "quantile"}:fit(ds)
  check.truthy(rfm:is_fitted(), "fitted")
  for _, dim in ipairs({"recency", "frequency", "monetary"}) do
    local cuts, values = rfm:cuts(dim), ds:totable(dim)
    for k = 1, 4 do
      check.near(cuts[k], quantile7(values, k / 5) + 1, 1e-9, dim .. " cut " .. k)
    end
  end
end)

test("rfm scores follow the edges", function()
  local ds = check.orders_dataset(tier)
  local rfm = tier.rfm():fit_apply(ds)
  local names, types = rfm:outputs()
  check.eq(names, {"r_score", "f_score", "m_score", "rfm_code", "rfm_total", "rfm_segment"},
           "outputs")
  check.eq(types.rfm_segment, "categorical", "segment type")
  local edges, mon, m = rfm:cuts("m"), ds:totable("monetary"), ds:totable("m_score")
  for i = 1, #ds do
    local want = 1
    for _, e in ipairs(edges) do if mon[i] >= e then want = want + 1 end end
    check.eq(m[i], want, "m_score of row " .. i)
  end
  local r, f, code = ds:totable("r_score"), ds:totable("f_score"), ds:totable("rfm_code")
  for i = 1, #ds do check.eq(code[i], 100 * r[i] + 10 * f[i] + m[i], "code") end
  local summary = rfm:summarize(ds)
  local total = 0
  for _, row in ipairs(summary) do total = total + row.count end
  check.eq(total, #ds, "every customer in a segment")
  check.eq(summary[1].label, "Champions", "first segment")
  local by_r = rfm:summarize(ds, "recency")
  check.eq({by_r[1].r, by_r[5].r}, {1, 5}, "grouped by R")
end)

test("rfm options and errors", function()
  check.eq({tier.rfm{bins = {3, 4, 5}}:bins()}, {3, 4, 5}, "bins per dimension")
  check.eq({tier.rfm{bins = {monetary = 2}}:bins()}, {5, 5, 2}, "bins by name")
  check.raises("", tier.rfm, {bins = 11})
  check.raises("invalid mode 'quantil'", tier.rfm, {mode = "quantil"})
  check.raises("keys recency", tier.rfm, {bins = {money = 2}})
  local br = tier.rfm{mode = "breaks", breaks = {{30, 90}, {2, 5}, {100, 1000}}}
  check.truthy(br:is_fitted(), "breaks need no fit")
  check.eq({br:bins()}, {3, 3, 3}, "bins from breaks")
  local same = tier.rfm{mode = "breaks", breaks = {10, 20}}
  check.eq({same:bins()}, {3, 3, 3}, "one list of breaks for all")
  check.raises("", tier.rfm, {mode = "breaks", breaks = {{90, 30}, {1}, {1}}})
  local ds = check.small_dataset(tier)
  check.raises("not fitted", tier.rfm().apply, tier.rfm(), ds)
  check.raises("'E'", tier.rfm{bins = 2}.fit, tier.rfm{bins = 2}, ds) -- NaN recency
  tier.rfm{bins = 2, nan = "unscored"}:fit_apply(ds)
  check.isnan(ds:totable("r_score")[5], "unscored")
  check.eq(ds:totable("rfm_segment")[5], false, "no segment")
end)

test("rfm segments table", function()
  local rfm = tier.rfm()
  local segs = rfm:segments()
  check.eq(segs[1], {name = "Champions", lo = {5, 5, 5}, hi = {5, 5, 5}}, "first default")
  rfm:clear_segments()
  check.eq(rfm:segments(), {}, "cleared")
  rfm:add_segment("Top", {4, 4, 4}, {5, 5, 5})
  rfm:add_segment("Best", {5, 5, 5}, {5, 5, 5}, 1)
  check.eq(rfm:segments()[1].name, "Best", "inserted first")
  check.raises("", rfm.add_segment, rfm, "Bad", {0, 1, 1}, {5, 5, 5})
  rfm:remove_segment(1)
  check.eq(#rfm:segments(), 1, "removed")
  rfm:default_segments()
  check.eq(#rfm:segments(), 10, "defaults")
end)

test("model files and prefixes", function()
  local ds = check.orders_dataset(tier)
  local rfm = tier.rfm{mode = "rank", prefix = "q_"}:fit(ds)
  check.eq(rfm:prefix(), "q_", "prefix")
  rfm:apply(ds)
  local path = check.tmpname(".model")
  rfm:save(path)
  check.eq({tier.model_kind(path)}, {"rfm", false}, "model kind")
  local loaded = tier.load_model(path, "l_")
  check.eq(loaded:kind(), "rfm", "loaded kind")
  check.eq(loaded:cuts("monetary"), rfm:cuts("monetary"), "same cuts")
  loaded:apply(ds)
  check.eq(ds:totable("l_rfm_code"), ds:totable("q_rfm_code"), "same scores")
  os.remove(path)
  rfm:set_prefix("w_")
  check.eq(rfm:outputs()[1], "w_r_score", "new prefix")
  check.raises("", rfm.set_prefix, rfm, "9bad")
  check.raises("not fitted", tier.rfm().save, tier.rfm(), check.tmpname())
end)

test("ahp scorers", function()
  local ds = check.small_dataset(tier)
  local sc = tier.weights_scorer({"monetary", "frequency"}, {3, 1})
  check.eq(sc:kind(), "ahp", "kind")
  check.near(sc:criteria()[1].weight, 0.75, 1e-12, "weight")
  sc:fit_apply(ds)
  local score, mon, freq = ds:totable("ahp_score"), ds:totable("monetary"), ds:totable("frequency")
  for i = 1, #ds do
    check.near(score[i], 100 * (0.75 * (mon[i] + 7) / 87 + 0.25 * freq[i] / 2), 1e-9, "score")
  end
  check.eq({sc:params(1)}, {-7.0, 80.0}, "fitted min and max")
  local ahp = tier.ahp({"r", "f", "m"})
  ahp:set("m", "f", 3):set("m", "r", 5):set("f", "r", 2)
  ahp:compute()
  local orders = check.orders_dataset(tier)
  tier.rfm():fit_apply(orders)
  local rs = tier.ahp_rfm_scorer(ahp, 5)
  check.truthy(rs:is_fitted(), "needs no fit")
  rs:apply(orders)
  local w = ahp:weights()
  local r, f, m = orders:totable("r_score"), orders:totable("f_score"), orders:totable("m_score")
  local got = orders:totable("ahp_score")
  for i = 1, #orders, 97 do
    check.near(got[i], 100 * (w.r * (r[i] - 1) + w.f * (f[i] - 1) + w.m * (m[i] - 1)) / 4,
               1e-9, "weighted rfm")
  end
  local full = tier.ahp_scorer(ahp, {columns = {r = "recency", f = "frequency", m = "monetary"},
                                     directions = {r = "lower"}, normalizations = "percentile",
                                     components = true})
  full:fit_apply(orders)
  check.truthy(orders:has_column("ahp_recency"), "components")
  check.raises("option 'columns'", tier.ahp_scorer, ahp, {columns = {x = "recency"}})
  check.raises("expected", tier.ahp_scorer, "ahp")
end)

test("k-means", function()
  local ids, times, amounts = {}, {}, {}
  for i = 1, 12 do ids[i], times[i], amounts[i] = "c" .. i, check.T0, 1 end
  local ds = tier.from_transactions(ids, times, amounts, nil, {as_of = check.T0 + check.DAY})
  ds:set("x", {0, 0.1, 0.2, 0.1, 0, 0.2, 10, 10.1, 10.2, 10, 10.1, 10.2})
  local km = tier.kmeans{k = 2, features = {"x"}, transforms = "raw", seed = 1, order_by = "x"}
  km:fit_apply(ds)
  check.eq(ds:totable("cluster"), {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, "clusters")
  local inertia, iters, converged = km:fit_info()
  check.truthy(converged, "converged")
  check.eq((km:cluster_size(0)), 6, "cluster size")
  check.near(km:centers()[1][1], 10.1, 1e-9, "center")
  local choice = tier.choose_k(ds, {k_min = 2, k_max = 3, features = {"x"}, transforms = "raw",
                                    seed = 1})
  check.eq(choice.ks, {2, 3}, "ks")
  check.eq(choice.best.silhouette, 2, "best k")
  check.raises("invalid init", tier.kmeans, {init = "kmeans++"})
end)

-- A strategy written in Lua: spend per day of tenure, banded against the fitted median.
local function spend_strategy()
  local s = {
    name = "spend_rate",
    inputs = {"monetary", "tenure"},
    outputs = {"spend_rate", {"spend_band", "categorical"}},
    fits = 0,
  }
  local function rates(ds)
    local m, t, r = ds:totable("monetary"), ds:totable("tenure"), {}
    for i = 1, #m do r[i] = m[i] / math.max(t[i], 1) end
    return r
  end
  function s.fit(self, ds)
    local r = rates(ds)
    table.sort(r)
    local n = #r
    self.median = n % 2 == 1 and r[(n + 1) // 2] or (r[n // 2] + r[n // 2 + 1]) / 2
    self.fits = self.fits + 1
  end
  function s.apply(self, ds)
    local r, band = rates(ds), {}
    for i = 1, #r do band[i] = r[i] >= self.median and "above" or "below" end
    return {spend_rate = r, spend_band = band}
  end
  function s.save(self) return string.pack("<d", self.median) end
  function s.load(self, data) self.median = string.unpack("<d", data) end
  return s
end

test("lua strategy: fit, apply, save, load", function()
  local ds = check.orders_dataset(tier)
  local strategy = spend_strategy()
  local sc = tier.scorer(strategy, "my_")
  check.eq(sc:is_custom(), true, "custom")
  check.eq(sc:is_fitted(), false, "not fitted")
  check.eq(sc:kind(), "spend_rate", "kind")
  check.eq(sc:inputs(), {"monetary", "tenure"}, "inputs")
  check.eq((sc:outputs()), {"my_spend_rate", "my_spend_band"}, "outputs")
  sc:fit_apply(ds)
  check.eq(strategy.fits, 1, "fit ran once")
  local rate, band = ds:totable("my_spend_rate"), ds:totable("my_spend_band")
  local above = 0
  for i = 1, #rate do
    check.eq(band[i], rate[i] >= strategy.median and "above" or "below", "band " .. i)
    if band[i] == "above" then above = above + 1 end
  end
  check.truthy(above > 0 and above < #rate, "both bands used")
  local path = check.tmpname(".model")
  sc:save(path)
  check.eq({tier.model_kind(path)}, {"spend_rate", true}, "kind in file")
  local fresh = spend_strategy()
  local loaded = tier.load_custom_model(path, fresh, "re_")
  check.eq(fresh.median, strategy.median, "state restored")
  loaded:apply(ds)
  check.eq(ds:totable("re_spend_rate"), rate, "same scores")
  check.raises("", tier.load_model, path) -- a user model is not a built-in kind
  os.remove(path)
end)

test("lua strategy: minimal, array results", function()
  local ds = check.small_dataset(tier)
  local sc = tier.scorer{
    name = "double_f", inputs = {"frequency"}, outputs = {"f2"},
    apply = function(self, d)
      local out = {}
      for i, f in ipairs(d:totable("frequency")) do out[i] = 2 * f end
      return out -- a single output may return its values directly
    end,
  }
  check.truthy(sc:is_fitted(), "no fit needed")
  sc:apply(ds)
  check.eq(ds:totable("f2"), {4, 2, 2, 4, 0}, "values")
  check.raises("save", sc.save, sc, check.tmpname()) -- no save function
  local two = tier.scorer{
    name = "two", outputs = {"a", {name = "b", type = "categorical"}},
    apply = function(self, d)
      local a, b = {}, {}
      for i = 1, #d do a[i], b[i] = i, i % 2 == 0 and "even" or false end
      return {a, b} -- one array per output, in order
    end,
  }
  two:apply(ds)
  check.eq(ds:totable("a"), {1, 2, 3, 4, 5}, "first output")
  check.eq(ds:totable("b"), {false, "even", false, "even", false}, "second output")
end)

test("bad strategy definitions", function()
  check.raises("name", tier.scorer, {outputs = {"x"}, apply = function() end})
  check.raises("apply", tier.scorer, {name = "x", outputs = {"x"}})
  check.raises("", tier.scorer, {name = "rfm", outputs = {"x"}, apply = function() end})
  check.raises("", tier.scorer, {name = "none", outputs = {}, apply = function() end})
  check.raises("must be a function", tier.scorer,
               {name = "x", outputs = {"x"}, apply = function() end, fit = 3})
  check.raises("invalid output type", tier.scorer,
               {name = "x", outputs = {{"x", "text"}}, apply = function() end})
end)

check.run(tests)
