#!/usr/bin/env node
// Side-by-side benchmark of cairn's table readers/writers against DuckDB on the same files, in
// the same run. Usually started by bench/run.sh.
//
//   node bench/duckdb_bench.js --table-bench PATH [--rows N | --quick] [--repeat R]
//        [--threads 1,2] [--data-dir DIR] [--out FILE.md] [--duckdb-dir DIR]
//
// Generates (once, with DuckDB) a mixed table of N rows (default 10M; --quick: 1M) as CSV and
// Parquet under --data-dir, then times for each thread count:
//   CSV read into memory      DuckDB: CREATE TABLE t AS SELECT * FROM read_csv(...)
//                             cairn:  table_bench read FILE.csv (ReadTable into a Table)
//   Parquet read into memory  DuckDB: CREATE TABLE t AS SELECT * FROM read_parquet(...)
//                             cairn:  table_bench read FILE.parquet
//   Parquet write (snappy)    DuckDB: COPY t TO ... (FORMAT parquet) from an in-memory table
//   Parquet write (zstd)      cairn:  table_bench write (WriteTable of a Table in memory)
// Each is run R times (default 3); the best and the median run are reported, with the ratio
// DuckDB time / cairn time (> 1: cairn is faster). Writes Markdown to --out (default: docs/benchmarks.md) and prints
// it.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync, execSync} = require('child_process');
const {createRequire} = require('module');

const root = path.resolve(__dirname, '..');

// Sections of the same file written by other scripts between these markers (the metric
// engine by bench/run-metrics.sh, COCO by bench/run-coco.sh); rewriting the file keeps them.
const kKeptSections = [
  ['<!-- metric-engine:begin', '<!-- metric-engine:end -->'],
  ['<!-- coco-bbox:begin', '<!-- coco-bbox:end -->'],
];
function keptSections(file) {
  if (!fs.existsSync(file)) return '';
  const old = fs.readFileSync(file, 'utf8');
  let kept = '';
  for (const [begin, end] of kKeptSections) {
    const b = old.indexOf(begin);
    const e = old.indexOf(end);
    if (b !== -1 && e > b) kept += '\n' + old.slice(b, e + end.length) + '\n';
  }
  return kept;
}

function parseArgs(argv) {
  const a = {
    tableBench: null,
    rows: 10000000,
    repeat: 3,
    threads: [1, 2],
    dataDir: path.join(root, 'build', 'bench-data'),
    out: path.join(root, 'docs', 'benchmarks.md'),
    duckdbDir: path.join(root, 'tests', 'duckdb'),
    quick: false,
  };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) die(`${k} needs a value`, 2);
      return argv[++i];
    };
    if (k === '--table-bench') a.tableBench = path.resolve(v());
    else if (k === '--rows') a.rows = Number(v());
    else if (k === '--quick') {
      a.quick = true;
      a.rows = 1000000;
    } else if (k === '--repeat') a.repeat = Number(v());
    else if (k === '--threads') a.threads = v().split(',').map(Number);
    else if (k === '--data-dir') a.dataDir = path.resolve(v());
    else if (k === '--out') a.out = path.resolve(v());
    else if (k === '--duckdb-dir') a.duckdbDir = path.resolve(v());
    else die(`unknown argument '${k}'`, 2);
  }
  if (!a.tableBench) die('--table-bench PATH is required', 2);
  if (!(a.rows > 0) || !(a.repeat > 0) || a.threads.some((t) => !(t > 0))) die('bad numbers', 2);
  return a;
}

function die(msg, code = 1) {
  console.error(`duckdb_bench.js: ${msg}`);
  process.exit(code);
}

const args = parseArgs(process.argv.slice(2));
let duckdb;
try {
  duckdb = createRequire(path.join(args.duckdbDir, 'package.json'))('@duckdb/node-api');
} catch (e) {
  die(`@duckdb/node-api is not installed in ${args.duckdbDir} (npm ci --prefix tests/duckdb)`);
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const sh = (cmd) => {
  try {
    return execSync(cmd, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
  } catch (e) {
    return '';
  }
};

// The benchmark table: int64 id, float64 with ~10% nulls, bool, a string of ~100 values,
// a high-cardinality string and a timestamp.
const GENERATE = (rows) => `SELECT
    i AS id,
    CASE WHEN i % 10 = 7 THEN NULL ELSE (hash(i) % 2000000)::DOUBLE / 1000.0 - 1000.0 END AS score,
    (hash(i * 3) % 2 = 0) AS flag,
    'category_' || (hash(i * 7) % 100)::VARCHAR AS category,
    'user_' || hash(i * 11)::VARCHAR AS user_id,
    TIMESTAMP '2024-01-01' + to_microseconds(CAST(i * 3156 + hash(i) % 1000 AS BIGINT)) AS captured_at
  FROM range(${rows}) r(i)`;

// The schema cairn should give the table (table_bench prints name:type pairs).
const EXPECTED_SCHEMA = 'id:int64,score:float64,flag:bool,category:string,user_id:string,' +
    'captured_at:timestamp[us]';

async function main() {
  fs.mkdirSync(args.dataDir, {recursive: true});
  const csv = path.join(args.dataDir, `mixed_${args.rows}.csv`);
  const parquet = path.join(args.dataDir, `mixed_${args.rows}.parquet`);
  const outDir = fs.mkdtempSync(path.join(args.dataDir, 'out-'));

  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const run = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
  const duckVersion = (await run('SELECT version() AS v'))[0].v;

  if (!fs.existsSync(csv) || !fs.existsSync(parquet)) {
    console.error(`generating ${args.rows} rows into ${args.dataDir} ...`);
    await run(`SET threads = ${os.cpus().length}`);
    await run(`CREATE TABLE gen AS ${GENERATE(args.rows)}`);
    await run(`COPY gen TO ${lit(csv + '.tmp')} (FORMAT csv, HEADER)`);
    await run(`COPY gen TO ${lit(parquet + '.tmp')} (FORMAT parquet, COMPRESSION snappy)`);
    await run('DROP TABLE gen');
    fs.renameSync(csv + '.tmp', csv);
    fs.renameSync(parquet + '.tmp', parquet);
  }

  // DuckDB: time `sql` R times after `setup`; `teardown` after each run (untimed).
  async function duckTimes(sql, teardown) {
    const times = [];
    for (let r = 0; r < args.repeat; ++r) {
      const t0 = process.hrtime.bigint();
      await run(sql);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      if (teardown) await run(teardown);
    }
    return times;
  }

  // cairn: one table_bench process doing R runs.
  function cairnTimes(benchArgs) {
    const r = spawnSync(args.tableBench, [...benchArgs, '--repeat', String(args.repeat)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) {
      const why = (r.stderr || '').trim().split('\n').pop() || `signal ${r.signal}`;
      return {error: why};
    }
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    return {times: res.seconds, rows: res.rows, schema: res.schema};
  }

  const loadBefore = os.loadavg()[0];
  const results = [];  // {op, threads, duck: [s], cairn: {times|error}, note}
  for (const threads of args.threads) {
    await run(`SET threads = ${threads}`);
    console.error(`threads=${threads}: CSV read`);
    const dCsv = await duckTimes(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(${lit(csv)})`,
                                 'DROP TABLE t');
    const cCsv = cairnTimes(['read', csv, '--threads', String(threads)]);
    results.push({op: 'CSV read into memory', threads, duck: dCsv, cairn: cCsv});

    console.error(`threads=${threads}: Parquet read`);
    const dPq = await duckTimes(
        `CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet(${lit(parquet)})`, 'DROP TABLE t');
    const cPq = cairnTimes(['read', parquet, '--threads', String(threads)]);
    results.push({op: 'Parquet read into memory', threads, duck: dPq, cairn: cPq});

    for (const codec of ['snappy', 'zstd']) {
      console.error(`threads=${threads}: Parquet write (${codec})`);
      await run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet(${lit(parquet)})`);
      const dOut = path.join(outDir, `duckdb_${codec}.parquet`);
      const dW = await duckTimes(`COPY t TO ${lit(dOut)} (FORMAT parquet, COMPRESSION ${codec})`);
      await run('DROP TABLE t');
      const cOut = path.join(outDir, `cairn_${codec}.parquet`);
      // The table to write comes from the Parquet file, or from the CSV file where cairn cannot
      // read the Parquet one.
      const source = cPq.times ? parquet : csv;
      const cW = cairnTimes(['write', source, cOut, '--threads', String(threads), '--compression', codec]);
      if (source === csv) cW.note = 'cairn wrote the table read from CSV';
      const sizes = `file size: DuckDB ${mib(fs.statSync(dOut).size)}` +
          (fs.existsSync(cOut) ? `, cairn ${mib(fs.statSync(cOut).size)}` : '');
      results.push({op: `Parquet write (${codec})`, threads, duck: dW, cairn: cW,
                    note: [cW.note, sizes].filter(Boolean).join('; ')});
    }
  }
  fs.rmSync(outDir, {recursive: true, force: true});

  const cpu = sh("lscpu | sed -n 's/^Model name: *//p'") || os.cpus()[0].model;
  const commit = sh(`git -C ${lit(root)} rev-parse --short HEAD`);
  const dirty = sh(`git -C ${lit(root)} status --porcelain --untracked-files=no`) ? ' (with local changes)' : '';
  const memGiB = (os.totalmem() / 2 ** 30).toFixed(0);
  const csvSize = mib(fs.statSync(csv).size);
  const pqSize = mib(fs.statSync(parquet).size);
  const lines = [];
  lines.push('# Benchmarks: cairn vs DuckDB');
  lines.push('');
  lines.push('Generated by `bench/run.sh` (`make bench`), except the last section ("Metric engine",');
  lines.push('written by `bench/run-metrics.sh`); do not edit by hand. Each operation is');
  lines.push(`timed ${args.repeat} times for each tool in the same run on the same files; the tables show the`);
  lines.push('best and the median run. **ratio** = DuckDB time / cairn time: above 1 cairn is faster,');
  lines.push('below 1 DuckDB is. The best run is the headline: it is least disturbed by other work on the');
  lines.push('machine.');
  lines.push('');
  lines.push('## Setup');
  lines.push('');
  lines.push(`- Machine: ${os.cpus().length} cores, ${cpu}, ${memGiB} GiB RAM, ${os.type()} ${os.release()}`);
  lines.push(`- cairn: commit ${commit}${dirty}, Release build, \`bench/table_bench\``);
  lines.push(`- DuckDB: ${duckVersion} (Node.js client \`@duckdb/node-api\`, in-memory database)`);
  lines.push(`- Data: ${args.rows.toLocaleString('en-US')} rows generated by DuckDB: CSV ${csvSize}, Parquet (snappy, DuckDB defaults) ${pqSize}.`);
  lines.push('  Columns: `id` int64, `score` float64 (10% null), `flag` bool, `category` string (100');
  lines.push('  values), `user_id` string (distinct per row), `captured_at` timestamp.');
  lines.push('- Files are read from the page cache (each file was read before it is timed).');
  lines.push(`- Load average (1 min) before / after the run: ${loadBefore.toFixed(2)} / ${os.loadavg()[0].toFixed(2)}` +
             ' (above ~0.5 means other work shared the cores and numbers are noisy).');
  lines.push('');
  lines.push('## What is timed');
  lines.push('');
  lines.push('| operation | DuckDB | cairn |');
  lines.push('|---|---|---|');
  lines.push('| CSV read into memory | `SET threads=N; CREATE TABLE t AS SELECT * FROM read_csv(\'f.csv\')` | `table_bench read f.csv --threads N` (`ReadTable`, types inferred) |');
  lines.push('| Parquet read into memory | `CREATE TABLE t AS SELECT * FROM read_parquet(\'f.parquet\')` | `table_bench read f.parquet --threads N` |');
  lines.push('| Parquet write | `COPY t TO \'o.parquet\' (FORMAT parquet, COMPRESSION c)` from an in-memory table | `table_bench write f.parquet o.parquet --compression c --threads N` (`WriteTable` of a `Table` in memory; the read is not timed) |');
  lines.push('');
  lines.push('Writer defaults differ: DuckDB writes row groups of 122,880 rows, cairn of 1,048,576 rows;');
  lines.push('both dictionary-encode low-cardinality columns.');
  lines.push('');
  lines.push('## Results');
  const ops = [...new Set(results.map((r) => r.op))];
  for (const op of ops) {
    lines.push('');
    lines.push(`### ${op}`);
    lines.push('');
    lines.push('| threads | DuckDB best (s) | cairn best (s) | ratio DuckDB/cairn | DuckDB median (s) | cairn median (s) | median ratio | notes |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of results.filter((x) => x.op === op)) {
      const d = Math.min(...r.duck);
      const dm = median(r.duck);
      let cs = 'failed';
      let cm = '-';
      let ratio = '-';
      let mratio = '-';
      let note = r.note || '';
      if (r.cairn.times) {
        const c = Math.min(...r.cairn.times);
        const c2 = median(r.cairn.times);
        cs = c.toFixed(3);
        cm = c2.toFixed(3);
        ratio = `**${(d / c).toFixed(2)}**`;
        mratio = (dm / c2).toFixed(2);
        if (r.cairn.rows !== args.rows) note = `cairn read ${r.cairn.rows} rows! ${note}`;
        if (r.cairn.schema !== EXPECTED_SCHEMA) note = `cairn types: ${r.cairn.schema}; ${note}`;
      } else {
        note = `cairn: ${r.cairn.error.replace(/\|/g, '\\|').slice(0, 160)} ${note}`;
      }
      lines.push(`| ${r.threads} | ${d.toFixed(3)} | ${cs} | ${ratio} | ${dm.toFixed(3)} | ${cm} | ${mratio} | ${note.trim()} |`);
    }
  }
  lines.push('');
  lines.push('## Reproduce');
  lines.push('');
  lines.push('```sh');
  lines.push('npm ci --prefix tests/duckdb   # DuckDB for Node.js, pinned in tests/duckdb/package-lock.json');
  lines.push(`bench/run.sh${args.quick ? ' --quick' : ''}          # builds table_bench (Release), generates data into build/bench-data/, writes this file`);
  lines.push('```');
  lines.push('');
  lines.push('`bench/run.sh --quick` uses 1M rows for a fast check while developing; the numbers above');
  lines.push(`come from ${args.rows.toLocaleString('en-US')} rows.`);
  const md = lines.join('\n') + '\n';
  fs.mkdirSync(path.dirname(args.out), {recursive: true});
  fs.writeFileSync(args.out, md + keptSections(args.out));
  console.log(md);
}

main().catch((e) => die(e.stack || String(e)));
