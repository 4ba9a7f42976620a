#!/usr/bin/env node
// The long table of `cairn eval report --table` read by DuckDB.
//
//   node tests/eval/long_table_duckdb.js --cairn build/x/src/cli/cairn [--duckdb-dir tests/duckdb]
//
// A result written by hand goes through `cairn eval report --table long.parquet`; DuckDB reads
// the Parquet file and must find the documented schema and exactly the rows this script
// derives from the result on its own (one per scalar, one per confusion-matrix cell, curves
// left out, nulls with their reason). Exit status: 0 ok, 1 a check failed, 77 DuckDB's
// Node.js client is not installed (`npm ci --prefix tests/duckdb`).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync} = require('child_process');
const {createRequire} = require('module');

const args = {cairn: null, duckdbDir: path.resolve(__dirname, '..', 'duckdb')};
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === '--cairn') args.cairn = path.resolve(process.argv[++i]);
  else if (a === '--duckdb-dir') args.duckdbDir = path.resolve(process.argv[++i]);
  else {
    console.error(`long_table_duckdb.js: unknown argument '${a}'`);
    process.exit(2);
  }
}
if (!args.cairn) {
  console.error('usage: long_table_duckdb.js --cairn PATH [--duckdb-dir DIR]');
  process.exit(2);
}

function loadDuckDb() {
  for (const dir of [args.duckdbDir, process.env.CAIRN_DUCKDB_DIR].filter(Boolean)) {
    try {
      return createRequire(path.join(dir, 'package.json'))('@duckdb/node-api');
    } catch (e) {
      // Try the next location.
    }
  }
  console.log(`SKIP: @duckdb/node-api is not installed in ${args.duckdbDir}`);
  process.exit(77);
}
const duckdb = loadDuckDb();

// The result. Slice keys escape '|' and '\' with '\'.
const result = {
  cairn_version: '0.1.0',
  task: 'multiclass',
  inputs: [{path: 'val.parquet', bytes: 10, xxh3: 'ab'}],
  classes: ['car', 'ped\'"<x>', 'vélo'],
  rows: 20,
  overall: {
    accuracy: 0.30000000000000004,
    f1_macro: 1e-300,
    'support[car]': 7,
    confusion_matrix: [[5, 1, 1], [0, 6, 0], [2, 0, 5]],
    'pr_curve[car]': {recall: [0, 0.5, 1], precision: [1, 0.8, 0.5]},
    cohen_kappa: null,
    null_reasons: {cohen_kappa: 'undefined: labels and predictions are all one class'},
  },
  slices: {
    weather: {rain: {rows: 12, accuracy: 0.25}, 'a\\|b': {rows: 8, accuracy: null,
                                                          null_reasons: {accuracy: 'no rows'}}},
    'weather,time': {'rain|night': {rows: 5, accuracy: 0.75, 'recall[car]': 2 / 3}},
  },
};

// The rows the documentation promises, derived here independently of cairn.
function expectedRows() {
  const rows = [];
  const add = (slicing, slice, n, outputs) => {
    const reasons = outputs.null_reasons || {};
    for (const [key, v] of Object.entries(outputs)) {
      if (key === 'rows' || key === 'null_reasons') continue;
      if (v === null) {
        rows.push([slicing, slice, n, key, null, reasons[key]]);
      } else if (typeof v === 'number') {
        rows.push([slicing, slice, n, key, v, null]);
      } else if (Array.isArray(v)) {
        v.forEach((row, r) => row.forEach((count, c) => rows.push(
            [slicing, slice, n, `${key}[${result.classes[r]},${result.classes[c]}]`, count, null])));
      }  // curves are left out
    }
  };
  add('', '', result.rows, result.overall);
  for (const [name, slices] of Object.entries(result.slices)) {
    for (const [key, outputs] of Object.entries(slices)) add(name, key, outputs.rows, outputs);
  }
  return rows;
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-long-table-'));
  const json = path.join(work, 'result.json');
  const parquet = path.join(work, 'long.parquet');
  fs.writeFileSync(json, JSON.stringify(result));
  const run = spawnSync(args.cairn, ['eval', 'report', json, '--table', parquet],
                        {encoding: 'utf8'});
  let failed = 0;
  const check = (ok, message) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
    if (!ok) failed++;
  };
  check(run.status === 0, `cairn eval report exits 0 (${run.stderr.trim()})`);

  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  await con.run('SET threads = 1');
  const q = async (sql) => (await con.runAndReadAll(sql)).getRowsJson();
  const file = `'${parquet.replace(/'/g, "''")}'`;

  const schema = await q(`SELECT column_name, column_type, "null" FROM (DESCRIBE SELECT * FROM read_parquet(${file}))`);
  const types = schema.map((r) => `${r[0]} ${r[1]}`).join(', ');
  check(types === 'slicing VARCHAR, slice VARCHAR, rows BIGINT, metric VARCHAR, value DOUBLE, reason VARCHAR',
        `schema: ${types}`);

  const got = await q(`SELECT slicing, slice, rows, metric, value, reason FROM read_parquet(${file})`);
  const want = expectedRows();
  check(got.length === want.length, `${got.length} rows, expected ${want.length}`);
  for (let i = 0; i < Math.max(got.length, want.length); ++i) {
    const g = got[i] || [];
    const w = want[i] || [];
    // getRowsJson gives BIGINT as text and DOUBLE as a number.
    const same = g[0] === w[0] && g[1] === w[1] && Number(g[2]) === w[2] && g[3] === w[3] &&
        (w[4] === null ? g[4] === null : Number(g[4]) === w[4]) && g[5] === w[5];
    if (!same) check(false, `row ${i}: got ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`);
  }
  check(failed === 0, 'every row equals the expected one');

  const cell = await q(`SELECT value FROM read_parquet(${file})
      WHERE slicing = 'weather,time' AND slice = 'rain|night' AND metric = 'recall[car]'`);
  check(cell.length === 1 && Number(cell[0][0]) === 2 / 3, 'recall[car] of rain|night is 2/3');
  const nulls = await q(`SELECT count(*) FILTER (WHERE value IS NULL),
      count(*) FILTER (WHERE reason IS NOT NULL) FROM read_parquet(${file})`);
  check(Number(nulls[0][0]) === 2 && Number(nulls[0][1]) === 2, 'two nulls, each with a reason');

  fs.rmSync(work, {recursive: true, force: true});
  console.log(failed ? `${failed} failed` : 'all passed');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
