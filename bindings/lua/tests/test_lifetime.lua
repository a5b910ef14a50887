-- CLV, churn, cohort retention and lifecycle stages from Lua, on the bundled retail sample.
local tier = require "tier"
local check = require "check"

local tests = {}
local function test(name, fn) tests[#tests + 1] = {name, fn} end

local ds = check.retail_dataset(tier)

test("clv scorer", function()
  local sc = tier.clv{spend = "repeat_spend", discount_rate = 0}
  check.eq(sc:kind(), "clv", "kind")
  check.raises("not fitted", sc.clv_params, sc)
  sc:fit_apply(ds)
  local params, model = sc:clv_params()
  check.eq(model, "bgnbd", "model")
  for _, k in ipairs({"r", "alpha", "a", "b"}) do check.truthy(params[k] > 0, k) end
  local info = sc:clv_fit_info()
  check.eq(info.converged, true, "converged")
  check.eq(info.n_customers, 4338, "fitted customers")
  check.truthy(sc:spend_params().q > 1, "spend model")
  check.eq(sc:clv_fit_info("spend").converged, true, "spend converged")
  -- without discounting, clv = expected spend x expected purchases
  local c, s, e = ds:column("clv"), ds:column("expected_spend"), ds:column("expected_purchases")
  for i = 1, #ds do
    if c[i] == c[i] then check.near(c[i], s[i] * e[i], 1e-9 * math.max(1, math.abs(c[i])), "clv") end
  end
  local path = check.tmpname(".model")
  sc:save(path)
  local loaded = tier.load_model(path)
  check.eq(loaded:clv_params(), params, "saved parameters")
  os.remove(path)
  check.raises("invalid model", tier.clv, {model = "pareto"})
  check.raises("", tier.clv, {horizon = -1})
  check.raises("", tier.rfm().clv_params, tier.rfm()) -- not a CLV scorer
end)

test("calibration split", function()
  local d = check.retail_dataset(tier)
  tier.clv_calibration_split(d, "2011-09-01")
  for _, col in ipairs({"cal_repeat_count", "cal_t_x", "cal_T", "holdout_purchases"}) do
    check.truthy(d:has_column(col), col)
  end
  local sc = tier.clv{x = "cal_repeat_count", t_x = "cal_t_x", T = "cal_T"}:fit(d)
  check.truthy(sc:clv_fit_info().converged, "calibration fit")
  check.raises("", tier.clv_calibration_split, d, "2012-01-01")
end)

test("clv array functions agree with the scorer", function()
  local sc = tier.clv{discount_rate = 0, horizon = 52}
  sc:fit_apply(ds)
  local params = sc:clv_params()
  local X, TX, TT = ds:column("repeat_count"), ds:column("t_x"), ds:column("T")
  local pa, ep = ds:column("p_alive"), ds:column("expected_purchases")
  local x, t_x, T, rows = {}, {}, {}, {}
  for i = 1, #ds do
    if X[i] == X[i] and #rows < 200 then -- the scorer works in weeks; the columns are days
      rows[#rows + 1] = i
      x[#x + 1], t_x[#t_x + 1], T[#T + 1] = X[i], TX[i] / 7, TT[i] / 7
    end
  end
  check.eq(#rows, 200, "customers with a purchase")
  local p1 = tier.clv_predict("p_alive", params, x, t_x, T, 52)
  local e1 = tier.clv_predict("expected_purchases", params, x, t_x, T, 52, "bgnbd")
  local by_position = tier.clv_predict("p_alive", {params.r, params.alpha, params.a, params.b},
                                       x, t_x, T, 52)
  for k, i in ipairs(rows) do
    check.near(p1[k], pa[i], 1e-12, "p_alive of row " .. i)
    check.near(e1[k], ep[i], 1e-12 * math.max(1, ep[i]), "expected purchases of row " .. i)
    check.eq(by_position[k], p1[k], "parameters by position")
  end
  -- the fitted log-likelihood is the sum of the per-customer terms over every fitted customer
  local all_x, all_tx, all_T = {}, {}, {}
  for i = 1, #ds do
    if X[i] == X[i] then
      all_x[#all_x + 1], all_tx[#all_tx + 1], all_T[#all_T + 1] = X[i], TX[i] / 7, TT[i] / 7
    end
  end
  local sum = 0
  for _, v in ipairs(tier.clv_loglik(params, all_x, all_tx, all_T)) do sum = sum + v end
  local info = sc:clv_fit_info()
  check.eq(#all_x, info.n_customers, "fitted customers")
  check.near(sum, info.loglik, 1e-9 * math.abs(info.loglik), "log-likelihood")
  -- Gamma-Gamma's conditional expectation is a weighted mean of the prior mean and m
  local g = {p = 6.25, q = 3.74, gamma = 15.44}
  local want = function(n, m)
    local w = g.p * n / (g.p * n + g.q - 1)
    return (1 - w) * g.p * g.gamma / (g.q - 1) + w * m
  end
  local ex = tier.clv_spend_expected(g, {1, 2, 10}, {20, 35.5, 12})
  check.near(ex[1], want(1, 20), 1e-12, "E[M | x=1]")
  check.near(ex[2], want(2, 35.5), 1e-12, "E[M | x=2]")
  check.near(ex[3], want(10, 12), 1e-12, "E[M | x=10]")
  local ll = tier.clv_spend_loglik({6.25, 3.74, 15.44}, {1, 0}, {20, 5})
  check.truthy(ll[1] < 0 and ll[1] == ll[1], "spend log density")
  check.isnan(ll[2], "no repeat purchase: no density")
  check.raises("invalid prediction", tier.clv_predict, "alive", params, x, t_x, T, 52)
  check.raises("same length", tier.clv_predict, "p_alive", params, x, t_x, {1}, 52)
  check.raises("parameter 'b'", tier.clv_loglik, {r = 1, alpha = 1, a = 1}, {0}, {0}, {1})
  check.raises("", tier.clv_loglik, {1, 1, 1, -1}, {0}, {0}, {1})
  check.raises("invalid model", tier.clv_loglik, params, {0}, {0}, {1}, "pareto")
end)

test("clv_fit_csv is the calibration split and fit in one call", function()
  local sc, d = tier.clv_fit_csv(check.data .. "/online_retail.csv.gz", "2011-09-01", {
    customer = "CustomerID", time = "InvoiceDate", quantity = "Quantity", price = "UnitPrice",
    order = "InvoiceNo"})
  check.truthy(d:has_column("cal_T") and d:has_column("holdout_purchases"), "split columns")
  check.truthy(sc:clv_fit_info().converged, "converged")
  local manual = check.retail_dataset(tier)
  tier.clv_calibration_split(manual, "2011-09-01")
  local ref = tier.clv{x = "cal_repeat_count", t_x = "cal_t_x", T = "cal_T"}:fit(manual)
  check.eq(sc:clv_params(), ref:clv_params(), "same parameters as the two-step route")
  check.raises("", tier.clv_fit_csv, check.data .. "/no_such_file.csv", "2011-09-01")
  check.raises("", tier.clv_fit_csv, check.data .. "/online_retail.csv.gz", "2031-01-01", {
    customer = "CustomerID", time = "InvoiceDate", quantity = "Quantity", price = "UnitPrice"})
end)

test("churn and lifecycle", function()
  local gap = tier.lifecycle(ds)
  check.truthy(gap >= 7 and gap <= 365, "default gap")
  local stages = ds:column("lifecycle")
  check.eq(stages:categories(), {"new", "active", "at-risk", "dormant", "churned", "reactivated"},
           "stages")
  local T, rec = ds:column("T"), ds:column("recency")
  for i = 1, #ds do
    if rec[i] ~= rec[i] then check.eq(stages[i], nil, "no purchase: missing")
    elseif T[i] <= 30 then check.eq(stages[i], "new", "new customer") end
  end
  tier.churn_flag(ds, {rule = "recency", recency_days = 90, output = "lapsed"})
  local flag = ds:column("lapsed")
  for i = 1, #ds do
    if rec[i] == rec[i] then check.eq(flag[i], rec[i] > 90 and 1 or 0, "flag") end
  end
  local rates = tier.churn_rates(ds, "lapsed", "lifecycle")
  local sum = 0
  for _, r in ipairs(rates) do sum = sum + r.customers end
  check.eq(sum, rates.total.customers, "groups add up")
  check.eq(rates.total.customers + rates.total.unknown, #ds, "every customer")
  check.raises("invalid rule", tier.churn_flag, ds, {rule = "mood"})
  check.raises("", tier.lifecycle, ds, {active_factor = 5, at_risk_factor = 3})
end)

test("cohort retention", function()
  local c = tier.cohort_retention(ds)
  check.eq(c.labels[1], "2010-12", "first cohort")
  check.eq(c.labels[#c.labels], "2011-12", "last cohort")
  local total = 0
  for k, size in ipairs(c.sizes) do
    total = total + size
    if size > 0 then
      check.eq(c.active[k][1], size, "all active in month 0")
      check.eq(c.rates[k][1], 1.0, "rate 1 in month 0")
    end
  end
  check.eq(total, 4338, "customers with a purchase")
  check.isnan(c.rates[#c.rates][2], "not observed yet")
  check.raises("", tier.cohort_retention, tier.dataset())
end)

check.run(tests)
