// rules_duckdb: the DuckDB peer of bench_rules (a four-tier rule set as CASE WHEN).
//
//   node rules_duckdb.mjs [--customers N] [--threads T] [--runs K]
//
// Rebuilds bench_rules' synthetic columns from the row index in an in-memory DuckDB
// (npm @duckdb/node-api, installed by `npm ci` in bench/; see bench_rules.c for the formulas),
// then times the same rule set as a CASE WHEN materialised into a table, best of K runs, and
// prints the same `key value` lines as bench_rules, including the checksum line.
import { DuckDBInstance } from '@duckdb/node-api';

function usage() {
  console.error('usage: node rules_duckdb.mjs [--customers N] [--threads T] [--runs K]');
  process.exit(2);
}

const args = process.argv.slice(2);
let customers = 10_000_000;
let threads = 1;
let runs = 3;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--customers' && i + 1 < args.length) customers = Number(args[++i]);
  else if (args[i] === '--threads' && i + 1 < args.length) threads = Number(args[++i]);
  else if (args[i] === '--runs' && i + 1 < args.length) runs = Number(args[++i]);
  else usage();
}
if (![customers, threads, runs].every(Number.isInteger) || threads < 1 || runs < 1) usage();

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run(`SET threads = ${threads}`);
await con.run('SET enable_progress_bar = false');
// The tiers table keeps each row's index, so row order does not matter: let DuckDB parallelise.
await con.run('SET preserve_insertion_order = false');

// The same Weyl sequences as bench_rules.c, in exact BIGINT arithmetic (i * A < 2^63).
const weyl = (a, b) => `((i * ${a} + ${b}) % 4294967296)::DOUBLE / 4294967296.0`;
await con.run(`CREATE TABLE customers AS
  SELECT i,
         ${weyl(2654435761, 12345)} AS us,
         ${weyl(2246822519, 374761393)} AS uo,
         ${weyl(3266489917, 668265263)} AS ur
  FROM range(${customers}) t(i)`);
await con.run(`CREATE TABLE c AS
  SELECT i,
         us * us * 20000.0 AS spend,
         floor(uo * uo * uo * 50.0) + 1.0 AS orders,
         CASE WHEN i % 97 = 0 THEN NULL ELSE floor(ur * 365.0) END AS recency_days
  FROM customers ORDER BY i`);
await con.run('DROP TABLE customers');

const caseWhen = `
  CASE WHEN spend > 10000 AND orders >= 20 AND recency_days <= 60 THEN 0
       WHEN (spend > 4000 AND spend / orders > 300) OR spend > 12000 THEN 1
       WHEN spend BETWEEN 1000 AND 4000 AND recency_days <= 180 THEN 2
       ELSE 3 END`;

let best = Infinity;
for (let r = 0; r < runs; r++) {
  await con.run('DROP TABLE IF EXISTS tiers');
  const t0 = process.hrtime.bigint();
  await con.run(`CREATE TABLE tiers AS SELECT i, ${caseWhen}::INTEGER AS tier FROM c`);
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}

const rows = (await con.runAndReadAll(`
  SELECT t.tier, count(*)::VARCHAR AS n, coalesce(sum(i), 0)::VARCHAR AS s
  FROM range(4) t(tier) LEFT JOIN tiers USING (tier)
  GROUP BY t.tier ORDER BY t.tier`)).getRows();
const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
// count(*) counts the LEFT JOIN's placeholder row for an empty tier: fix it from the sum.
const sums = rows.map((r) => `${r[2] === '0' && r[1] === '1' ? 0 : r[1]}:${r[2]}`);

console.log(`tool duckdb ${version}`);
console.log(`threads ${threads}`);
console.log(`customers ${customers}`);
console.log(`seconds ${best.toFixed(6)}`);
console.log(`peak_rss_kib ${process.resourceUsage().maxRSS}`);
console.log(`checksum ${sums.join(' ')}`);
