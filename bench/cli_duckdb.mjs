// cli_duckdb: the DuckDB peer of `tier score --rfm` (transaction CSV -> RFM scores CSV).
//
//   node cli_duckdb.mjs FILE -o OUT.csv [--threads N]
//
// The whole job of `tier score --rfm FILE --order order_id -o OUT.csv`, in one SQL statement in
// an in-memory DuckDB (npm @duckdb/node-api, `SET threads = N`): read_csv with declared types,
// GROUP BY for the features, quantile_cont (linear interpolation: R type 7, the rule of libtier's
// default TIER_RFM_QUANTILE and of the R package rfm) over the purchasers for the edges, + 1,
// bin = 1 + number of edges <= x, the default segment table of include/tier/rfm.h as a CASE,
// COPY TO a CSV. Definitions: see cli_pandas.py and README.md ("bench-cli"). run_cli.sh times
// the process from start to exit. Rows come out in DuckDB's order; the comparison joins on
// customer_id.
import { DuckDBInstance } from '@duckdb/node-api';

function usage() {
  console.error('usage: node cli_duckdb.mjs FILE -o OUT.csv [--threads N]');
  process.exit(2);
}

const args = process.argv.slice(2);
let path = null;
let out = null;
let threads = 1;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads' && i + 1 < args.length) threads = Number(args[++i]);
  else if ((args[i] === '-o' || args[i] === '--output') && i + 1 < args.length) out = args[++i];
  else if (!args[i].startsWith('-') && path === null) path = args[i];
  else usage();
}
if (path === null || out === null || !Number.isInteger(threads) || threads < 1) usage();

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;

// include/tier/rfm.h, default table: name, R lo-hi, F lo-hi, M lo-hi; the first match wins.
const segments = [
  ['Champions', 5, 5, 5, 5, 5, 5],
  ['Potential Loyalist', 3, 5, 3, 5, 2, 5],
  ['Loyal Customers', 2, 4, 2, 4, 2, 4],
  ['Promising', 3, 4, 1, 3, 3, 5],
  ['New Customers', 4, 5, 1, 3, 1, 5],
  ["Can't Lose Them", 1, 2, 3, 4, 4, 5],
  ['At Risk', 1, 2, 2, 5, 4, 5],
  ['Need Attention', 1, 3, 3, 5, 3, 5],
  ['About To Sleep', 2, 3, 1, 3, 1, 4],
  ['Lost', 1, 1, 1, 5, 1, 5],
];
const segmentCase = 'CASE ' + segments.map(([n, rl, rh, fl, fh, ml, mh]) =>
  `WHEN r_score BETWEEN ${rl} AND ${rh} AND f_score BETWEEN ${fl} AND ${fh} ` +
  `AND m_score BETWEEN ${ml} AND ${mh} THEN ${sqlString(n)}`).join(' ') +
  ` WHEN r_score IS NULL THEN NULL ELSE 'Others' END`;

// bin(x) = 1 + number of edges e[k] = q[k] + 1 with e[k] <= x
const bin = (col, q) => '(1 + ' + [1, 2, 3, 4].map((k) => `(${col} >= ${q}[${k}] + 1)::INTEGER`).join(' + ') + ')';

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run(`SET threads = ${threads}`);
await con.run('SET enable_progress_bar = false');
await con.run('SET preserve_insertion_order = false');

const source = `read_csv(${sqlString(path)}, header = true, delim = ',', columns = {
    'customer_id': 'BIGINT', 'order_id': 'BIGINT', 'time': 'TIMESTAMP', 'amount': 'DOUBLE'})`;
const probs = '[0.2, 0.4, 0.6, 0.8]';

await con.run(`COPY (
  WITH per AS (
    SELECT customer_id,
           max(time) AS last_any,
           max(time) FILTER (WHERE amount > 0) AS last_purchase,
           count(DISTINCT order_id) FILTER (WHERE amount > 0) AS frequency,
           sum(amount) AS monetary
    FROM ${source}
    GROUP BY customer_id),
  f AS (
    SELECT customer_id,
           (epoch(a.as_of) - epoch(last_purchase)) / 86400.0 AS recency,
           frequency, monetary
    FROM per, (SELECT max(last_any) + INTERVAL 1 DAY AS as_of FROM per) AS a),
  q AS (
    SELECT quantile_cont(recency, ${probs}) AS qr,
           quantile_cont(frequency, ${probs}) AS qf,
           quantile_cont(monetary, ${probs}) AS qm
    FROM f WHERE recency IS NOT NULL),
  s AS (
    SELECT customer_id, recency, frequency, monetary,
           CASE WHEN recency IS NULL THEN NULL ELSE 6 - ${bin('recency', 'qr')} END AS r_score,
           CASE WHEN recency IS NULL THEN NULL ELSE ${bin('frequency', 'qf')} END AS f_score,
           CASE WHEN recency IS NULL THEN NULL ELSE ${bin('monetary', 'qm')} END AS m_score
    FROM f, q)
  SELECT *, 100 * r_score + 10 * f_score + m_score AS rfm_code,
         r_score + f_score + m_score AS rfm_total,
         ${segmentCase} AS rfm_segment
  FROM s
) TO ${sqlString(out)} (HEADER, DELIMITER ',')`);

con.closeSync();
instance.closeSync();
