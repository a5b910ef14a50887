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
