-- The whole libtier flow from Lua 5.4, on the bundled Online Retail sample.
--
--   load transactions -> features -> RFM scores and segments -> tier rules -> assignment
--
-- Usage: lua5.4 flow.lua [transactions.csv[.gz] [rules-directory]]
--   defaults: examples/data/online_retail.csv.gz and examples/rules/ next to this script.
-- Needs the `tier` module (bindings/lua, built as tier.so) on LUA_CPATH. Prints counts;
-- examples/flow.py prints exactly the same lines.
--
-- Data: UCI Machine Learning Repository, Online Retail (dataset 352), Daqing Chen, London
-- South Bank University. CC BY 4.0.

local tier = require "tier"

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "."
local data = arg and arg[1] or (here .. "/data/online_retail.csv.gz")
local rules_dir = arg and arg[2] or (here .. "/rules")

local function show(title, names, counts)
  print(title)
  for _, name in ipairs(names) do print(string.format("  %-20s %6d", name, counts[name])) end
end

local function main()
  -- 1. Load: the Online Retail columns, invoices as orders, Country kept per customer.
  local ds, report = tier.load_csv(data, {
    customer = "CustomerID", time = "InvoiceDate", quantity = "Quantity", price = "UnitPrice",
    order = "InvoiceNo", categorical = {"Country"},
  })
  print(string.format("rows %d, used %d, without customer %d", report.rows, report.rows_used,
                      report.rows_no_customer))
  print(string.format("customers %d, as of %s", #ds, os.date("!%Y-%m-%d", ds:as_of())))

  -- 2. RFM: quantile bins as in R's rfm package; customers who never bought stay unscored.
  local rfm = tier.rfm{bins = 5, mode = "quantile", nan = "unscored"}
  rfm:fit_apply(ds)
  local summary = rfm:summarize(ds)
  local names, counts = {}, {}
  for i, row in ipairs(summary) do names[i], counts[row.label] = row.label, row.count end
  show(string.format("rfm segments (%d unscored)", summary.unscored), names, counts)

  -- 3. Rules: loyalty tiers on the features, then the segment table as a rule set.
  local retail = tier.load_rules(rules_dir .. "/retail.tier", ds)
  local assignment = retail:assign(ds)
  local tier_counts, tiers = assignment:counts()
  show("tiers (retail.tier)", tiers, tier_counts)
  local segments = tier.load_rules(rules_dir .. "/rfm_segments.tier", ds)
  local seg_counts, seg_names = segments:assign(ds):counts()
  show("segments as rules (rfm_segments.tier)", seg_names, seg_counts)

  -- 4. Use the assignment: a tier column, and a summary of spend per tier.
  assignment:to_column(ds, "tier")
  local table_ = tier.summary(ds, {by = "tier", value = "monetary"})
  print("net revenue per tier")
  for _, row in ipairs(table_:rows()) do
    print(string.format("  %-20s %12.2f", row.tier, row.monetary_sum))
  end
end

local ok, err = pcall(main)
if not ok then
  io.stderr:write("flow.lua: ", tostring(err), "\n")
  os.exit(1)
end
