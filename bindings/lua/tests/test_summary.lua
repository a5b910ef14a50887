-- tier.summary: group-by tables, pivots, activity and exports.
local tier = require "tier"
local check = require "check"

local tests = {}
local function test(name, fn) tests[#tests + 1] = {name, fn} end

local function banded()
  local ds = check.small_dataset(tier)
  ds:set("band", {"hi", "hi", "lo", "lo", false})
  ds:set("region", {"n", "s", "n", "n", "s"})
  return ds
end

test("one-way with value and margins", function()
  local s = tier.summary(banded(), {by = "band", value = "monetary", margins = true})
  check.eq(s:columns(), {"band", "count", "share", "monetary_n", "monetary_sum", "monetary_mean",
                         "monetary_median", "monetary_min", "monetary_max"}, "columns")
  check.eq(s:column("band"), {"hi", "lo", "(missing)", "Total"}, "keys")
  check.eq(s:column("count"), {2, 2, 1, 5}, "counts")
  check.eq(s:column("monetary_sum"), {120, 11, -7, 124}, "sums")
  check.eq(s:value(2, "monetary_median"), 5.5, "median")
  check.eq(s:levels(), {{label = "hi", kind = "value"}, {label = "lo", kind = "value"},
                        {label = "(missing)", kind = "missing"}, {label = "Total", kind = "total"}},
           "levels")
  check.eq(s:total(), 5, "total")
  check.eq(#s, 4, "rows")
  local rows = s:rows()
  check.eq(rows[1].band, "hi", "row key")
  check.near(rows[1].share, 0.4, 1e-12, "row share")
end)

test("two-way, pivot and exports", function()
  local s = tier.summary(banded(), {by = {"band", "region"}, include_missing = false})
  check.eq(s:excluded(), 1, "excluded")
  local grid = s:pivot("count")
  check.eq(grid:columns(), {"band", "n", "s"}, "pivot columns")
  check.eq(grid:rows(), {{band = "hi", n = 1, s = 1}, {band = "lo", n = 2, s = 0}}, "pivot")
  check.eq(grid:csv(), "band,n,s\nhi,1,1\nlo,2,0\n", "csv")
  check.truthy(grid:json():find('"rows"', 1, true), "json")
  local path = check.tmpname(".csv")
  grid:export(path, "csv")
  local f = assert(io.open(path))
  check.eq(f:read("a"), grid:csv(), "exported file")
  f:close()
  os.remove(path)
  check.raises("", s.pivot, s, "cnt")
  check.raises("", grid.pivot, grid, "n")
end)

test("activity", function()
  local s = tier.activity(check.small_dataset(tier), "month")
  check.eq(s:column("month"), {"2011-01", "2011-02", "2011-03", "2011-04"}, "months")
  check.eq(s:column("count"), {3, 1, 1, 1}, "active customers")
  check.raises("invalid bucket", tier.activity, check.small_dataset(tier), "fortnight")
end)

test("errors", function()
  local ds = banded()
  check.raises("did you mean 'band'", tier.summary, ds, {by = "bnd"})
  check.raises("", tier.summary, ds, {by = "band", value = "region"})
  check.raises("needs option 'by'", tier.summary, ds, {})
  check.raises("invalid share", tier.summary, ds, {by = "band", share = "everything"})
  check.raises("tier.dataset expected", tier.summary, "ds", {by = "band"})
end)

check.run(tests)
