// features_duckdb: the DuckDB peer of bench_features (CSV -> recency, frequency, monetary).
//
//   node features_duckdb.mjs FILE [--threads N]
//
// Times, in an in-memory DuckDB (npm @duckdb/node-api) with `SET threads = N`, read_csv +
// GROUP BY computing per customer the same features as libtier (see features_pandas.py for the
// definitions), materialised into a table. Then prints the same `key value` lines as
// bench_features, including the exact-integer checksum line (see bench_features.c).
// process.resourceUsage().maxRSS is in KiB, like getrusage's ru_maxrss.
import { DuckDBInstance } from '@duckdb/node-api';

function usage() {
  console.error('usage: node features_duckdb.mjs FILE [--threads N]');
  process.exit(2);
}

const args = process.argv.slice(2);
let path = null;
let threads = 1;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads' && i + 1 < args.length) threads = Number(args[++i]);
  else if (!args[i].startsWith('-') && path === null) path = args[i];
  else usage();
}
if (path === null || !Number.isInteger(threads) || threads < 1) usage();

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run(`SET threads = ${threads}`);
// No progress bar, no insertion-order bookkeeping: DuckDB's fastest settings for this job.
await con.run('SET enable_progress_bar = false');
await con.run('SET preserve_insertion_order = false');

// Column types are given, so DuckDB does not spend time sniffing them.
const source = `read_csv(${sqlString(path)}, header = true, delim = ',', columns = {
    'customer_id': 'BIGINT', 'order_id': 'BIGINT', 'time': 'TIMESTAMP', 'amount': 'DOUBLE'})`;

const t0 = process.hrtime.bigint();
await con.run(`CREATE TABLE per_customer AS
  SELECT customer_id,
         max(time) AS last_any,
         max(time) FILTER (WHERE amount > 0) AS last_purchase,
         count(DISTINCT order_id) FILTER (WHERE amount > 0) AS frequency,
         sum(amount) AS monetary,
         count(*) AS n_rows
  FROM ${source}
  GROUP BY customer_id`);
await con.run(`CREATE TABLE features AS
  SELECT customer_id,
         (epoch(a.as_of) - epoch(last_purchase)) / 86400.0 AS recency,
         frequency, monetary, n_rows
  FROM per_customer,
       (SELECT max(last_any) + INTERVAL 1 DAY AS as_of FROM per_customer) AS a`);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

const reader = await con.runAndReadAll(`
  WITH c AS (
    SELECT customer_id % 1009 + 1 AS w,
           round(recency * 86400)::BIGINT AS r,
           frequency::BIGINT AS f,
           round(monetary * 100)::BIGINT AS m,
           n_rows
    FROM features)
  SELECT count(*)::VARCHAR AS customers,
         count(r)::VARCHAR AS purchasers,
         sum(n_rows)::VARCHAR AS rows,
         sum(r)::VARCHAR AS recency_s,
         sum(f)::VARCHAR AS frequency,
         sum(m)::VARCHAR AS monetary_c,
         sum(w * r)::VARCHAR AS w_recency_s,
         sum(w * f)::VARCHAR AS w_frequency,
         sum(w * m)::VARCHAR AS w_monetary_c
  FROM c`);
const c = reader.getRowObjects()[0];
const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];

console.log(`tool duckdb ${version}`);
console.log(`threads ${threads}`);
console.log(`seconds ${seconds.toFixed(6)}`);
console.log(`rows ${c.rows}`);
console.log(`customers ${c.customers}`);
console.log(`checksum customers=${c.customers} purchasers=${c.purchasers} rows=${c.rows} ` +
  `recency_s=${c.recency_s} frequency=${c.frequency} monetary_c=${c.monetary_c} ` +
  `w_recency_s=${c.w_recency_s} w_frequency=${c.w_frequency} w_monetary_c=${c.w_monetary_c}`);
console.log(`peak_rss_kib ${process.resourceUsage().maxRSS}`);
con.closeSync();
instance.closeSync();
