-- LuaRocks build of the Lua 5.4 module `tier` (bindings/lua). Needs libtier installed: its
-- headers (tier/tier.h) and shared library (libtier.so). Build from a source checkout with
--   luarocks make bindings/lua/tier-0.1.0-1.rockspec TIER_DIR=/usr/local
-- (TIER_DIR is the prefix libtier was installed to; /usr/local by default for meson.)
rockspec_format = "3.0"
package = "tier"
version = "0.1.0-1"

source = {
   url = "git+https://example.invalid/libtier.git",
   tag = "v0.1.0",
}

description = {
   summary = "Customer tiering and segmentation: RFM, AHP, k-means, tier rules, summaries",
   detailed = [[
Lua 5.4 binding of libtier, an embeddable C library for customer tiering: it turns a
transaction log into per-customer features, scores customers (RFM, AHP weights, k-means,
your own strategies written in Lua), assigns tiers with a small rule language supporting
grace periods and downgrade limits, and summarises the result.]],
   license = "MIT",
   homepage = "https://example.invalid/libtier",
}

dependencies = {
   "lua >= 5.4, < 5.5",
}

external_dependencies = {
   TIER = {
      header = "tier/tier.h",
      library = "tier",
   },
}

build = {
   type = "builtin",
   modules = {
      tier = {
         sources = {
            "bindings/lua/ltier.c",
            "bindings/lua/ltier_dataset.c",
            "bindings/lua/ltier_scorer.c",
            "bindings/lua/ltier_ahp.c",
            "bindings/lua/ltier_rules.c",
            "bindings/lua/ltier_summary.c",
            "bindings/lua/ltier_lifetime.c",
         },
         libraries = { "tier", "m" },
         incdirs = { "$(TIER_INCDIR)" },
         libdirs = { "$(TIER_LIBDIR)" },
      },
   },
}

test = {
   type = "command",
   command = "LUA_PATH='bindings/lua/tests/?.lua;;' TIER_EXAMPLES=examples "
      .. "lua5.4 bindings/lua/tests/test_misuse.lua",
}
