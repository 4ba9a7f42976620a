#!/usr/bin/env node
// DuckDB <-> cairn interop suite.
//
//   node tests/interop/interop.js --cairn build/x/src/cli/cairn [--duckdb-dir tests/duckdb]
//        [--filter SUBSTRING] [--keep] [--verbose]
//
// DuckDB is the independent reference: it writes the source files, reads what `cairn table
// convert` wrote, and checks with SQL that every value is equal (EXCEPT ALL both ways plus row
// counts), that Parquet metadata (row groups, codecs, statistics, encodings, page kinds) is what
// the writer options asked for, that `--where` returns exactly the rows of DuckDB's WHERE, and
// that bad input makes cairn exit 1 with a message naming the file instead of crashing.
//
// Prints one line per check and "N passed, N failed" at the end. Exit status: 0 when every check
// passed, 1 when one failed, 77 when DuckDB's Node.js client is not installed (the ctest skip
// code; install it with `npm ci --prefix tests/duckdb`).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync} = require('child_process');
const {createRequire} = require('module');

// ---------------------------------------------------------------------------------------------
// Command line.

function parseArgs(argv) {
  const args = {
    cairn: null,
    duckdbDir: path.resolve(__dirname, '..', 'duckdb'),
    filter: [],
    keep: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--cairn') args.cairn = path.resolve(next());
    else if (a === '--duckdb-dir') args.duckdbDir = path.resolve(next());
    else if (a === '--filter') args.filter.push(next());
    else if (a === '--keep') args.keep = true;
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else if (a === '--help' || a === '-h') usage(null);
    else usage(`unknown argument '${a}'`);
  }
  if (!args.cairn) usage('--cairn PATH is required');
  return args;
}

function usage(error) {
  const text = 'usage: interop.js --cairn PATH [--duckdb-dir DIR] [--filter SUBSTRING]... ' +
      '[--keep] [--verbose]';
  if (error) {
    console.error(`interop.js: ${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

const args = parseArgs(process.argv.slice(2));

function loadDuckDb() {
  const candidates = [args.duckdbDir, process.env.CAIRN_DUCKDB_DIR].filter(Boolean);
  for (const dir of candidates) {
    try {
      return createRequire(path.join(dir, 'package.json'))('@duckdb/node-api');
    } catch (e) {
      // Try the next location.
    }
  }
  console.log(`SKIP: @duckdb/node-api is not installed in ${args.duckdbDir} ` +
              '(run `npm ci --prefix tests/duckdb`)');
  process.exit(77);
}
const duckdb = loadDuckDb();

if (!fs.existsSync(args.cairn)) {
  console.error(`interop.js: cairn binary not found: ${args.cairn}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-interop-'));
const W = (name) => path.join(work, name);
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;

class CheckError extends Error {}
function fail(message) {
  throw new CheckError(message);
}
function expect(cond, message) {
  if (!cond) fail(message);
}

let con = null;
async function q(sql) {
  try {
    const reader = await con.runAndReadAll(sql);
    return reader.getRowObjectsJson();
  } catch (e) {
    throw new CheckError(`DuckDB: ${e.message.split('\n')[0]}\n    in: ${sql.slice(0, 300)}`);
  }
}
async function q1(sql) {
  const rows = await q(sql);
  return rows.length ? rows[0] : null;
}

// Runs the cairn binary. Returns {status, signal, stdout, stderr, ms}. A crash or a hang is always
// a failure, whatever the caller expects.
function cairn(cliArgs, {timeoutMs = 180000} = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(args.cairn, cliArgs, {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
    cwd: work,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const shown = `cairn ${cliArgs.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
  if (r.error && r.error.code === 'ETIMEDOUT') {
    fail(`${shown}: no exit after ${timeoutMs / 1000} s (hang)`);
  }
  if (r.error) fail(`${shown}: cannot run: ${r.error.message}`);
  if (r.signal) {
    fail(`${shown}: killed by signal ${r.signal} (crash)\n    stderr: ${tail(r.stderr)}`);
  }
  return {status: r.status, stdout: r.stdout, stderr: r.stderr, ms, shown};
}

// Runs cairn and requires exit status 0.
function cairnOk(cliArgs, opts) {
  const r = cairn(cliArgs, opts);
  if (r.status !== 0) fail(`${r.shown}: exit ${r.status}: ${tail(r.stderr || r.stdout)}`);
  return r;
}

function tail(text, n = 400) {
  const t = String(text || '').trim().replace(/\n/g, ' | ');
  return t.length > n ? `${t.slice(0, n)}...` : t;
}

// ---------------------------------------------------------------------------------------------
// Check registry.

const results = {passed: 0, failed: 0, failures: []};
async function check(name, fn) {
  if (args.filter.length && !args.filter.some((f) => name.includes(f))) return;
  const t0 = Date.now();
  try {
    const note = await fn();
    results.passed++;
    const ms = Date.now() - t0;
    console.log(`ok   ${name}${note ? `  (${note})` : ''}${args.verbose ? `  [${ms} ms]` : ''}`);
  } catch (e) {
    results.failed++;
    const msg = e instanceof CheckError ? e.message : (e && e.stack) || String(e);
    results.failures.push({name, msg});
    console.log(`FAIL ${name}\n    ${msg.replace(/\n/g, '\n    ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing a relation written by DuckDB with one written by cairn.
//
// Every column has a logical kind; both sides are normalized to one DuckDB type per kind before
// EXCEPT ALL, so that information a format cannot carry (CSV/JSONL have no types, cairn widens
// every integer to int64 and FLOAT to float64) is restored by an explicit cast, and everything
// else must match exactly.

// The DuckDB type used to read a text format (CSV, JSONL) column of each kind. Timestamps and
// dates are read as text and cast, so that any ISO 8601 spelling is accepted.
const TEXT_READ_TYPE = {
  bool: 'BOOLEAN',
  int: 'BIGINT',
  float: 'DOUBLE',
  string: 'VARCHAR',
  ts: 'VARCHAR',
  ts_ms: 'VARCHAR',
  ts_ns: 'VARCHAR',
  date: 'VARCHAR',
};

// The DuckDB types cairn's Parquet output may have for each kind.
const PARQUET_TYPES = {
  bool: ['BOOLEAN'],
  int: ['BIGINT'],
  float: ['DOUBLE'],
  string: ['VARCHAR'],
  ts: ['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE'],
  ts_ms: ['TIMESTAMP_MS', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE'],
  ts_ns: ['TIMESTAMP_NS'],
  date: ['DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE'],
};

// SQL expression normalizing column `c` of DuckDB type `type` and logical kind `kind`.
function norm(c, kind, type) {
  const col = ident(c);
  switch (kind) {
    case 'bool':
      return `CAST(${col} AS BOOLEAN)`;
    case 'int':
      return `CAST(${col} AS BIGINT)`;
    case 'float':
      return `CAST(${col} AS DOUBLE)`;
    case 'string':
      return `CAST(${col} AS VARCHAR)`;
    case 'ts':
    case 'ts_ms':
      // Session time zone is UTC, so TIMESTAMPTZ <-> TIMESTAMP is the identity on the instant.
      if (type === 'VARCHAR') return `CAST(CAST(${col} AS TIMESTAMPTZ) AS TIMESTAMP)`;
      return `CAST(${col} AS TIMESTAMP)`;
    case 'ts_ns':
      if (type === 'TIMESTAMP_NS') return col;
      if (type === 'TIMESTAMP WITH TIME ZONE') return `CAST(CAST(${col} AS TIMESTAMP) AS TIMESTAMP_NS)`;
      return `CAST(${col} AS TIMESTAMP_NS)`;
    case 'date':
      if (type === 'VARCHAR') return `CAST(CAST(${col} AS TIMESTAMPTZ) AS DATE)`;
      return `CAST(${col} AS DATE)`;
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

// A FROM-clause expression reading `file` in `format`; text formats get explicit column types.
function readRel(file, format, cols) {
  if (format === 'parquet') return `read_parquet(${lit(file)})`;
  const spec = cols.map((c) => `${lit(c.name)}: ${lit(TEXT_READ_TYPE[c.kind])}`).join(', ');
  if (format === 'jsonl') {
    return `read_json(${lit(file)}, format='newline_delimited', columns={${spec}})`;
  }
  if (format === 'csv') {
    return `read_csv(${lit(file)}, header=true, auto_detect=false, delim=',', quote='"', ` +
        `escape='"', allow_quoted_nulls=false, columns={${spec}})`;
  }
  throw new Error(`unknown format ${format}`);
}

async function describe(rel) {
  const rows = await q(`DESCRIBE SELECT * FROM ${rel}`);
  return rows.map((r) => ({name: r.column_name, type: r.column_type}));
}

// Checks that relation `bRel` (cairn's output) holds exactly the rows of `aRel` (the reference)
// for columns `cols` ([{name, kind}]). With `nonFiniteToNull`, NaN and infinities of the
// reference are expected as nulls.
async function expectSameRows(aRel, bRel, cols, {nonFiniteToNull = false} = {}) {
  const aTypes = new Map((await describe(aRel)).map((c) => [c.name, c.type]));
  const bTypes = new Map((await describe(bRel)).map((c) => [c.name, c.type]));
  const missing = cols.filter((c) => !bTypes.has(c.name)).map((c) => c.name);
  expect(missing.length === 0, `cairn's output lacks columns: ${missing.join(', ')} ` +
         `(has: ${[...bTypes.keys()].join(', ')})`);
  const sel = (types, finite) => cols.map((c) => {
    let e = norm(c.name, c.kind, types.get(c.name));
    if (finite && c.kind === 'float') e = `CASE WHEN isfinite(${e}) THEN ${e} END`;
    return `${e} AS ${ident(c.name)}`;
  }).join(', ');
  await q(`CREATE OR REPLACE TEMP TABLE cmp_a AS SELECT ${sel(aTypes, nonFiniteToNull)} FROM ${aRel}`);
  await q(`CREATE OR REPLACE TEMP TABLE cmp_b AS SELECT ${sel(bTypes, false)} FROM ${bRel}`);
  const r = await q1(`SELECT (SELECT count(*) FROM cmp_a) AS na, (SELECT count(*) FROM cmp_b) AS nb,
      (SELECT count(*) FROM (SELECT * FROM cmp_a EXCEPT ALL SELECT * FROM cmp_b)) AS a_not_b,
      (SELECT count(*) FROM (SELECT * FROM cmp_b EXCEPT ALL SELECT * FROM cmp_a)) AS b_not_a`);
  if (r.na === r.nb && r.a_not_b === '0' && r.b_not_a === '0') return Number(r.na);
  let msg = `rows: reference ${r.na}, cairn ${r.nb}; ${r.a_not_b} reference rows missing from ` +
      `cairn's output, ${r.b_not_a} rows of cairn's output not in the reference`;
  // Name the columns that differ: compare column by column as multisets.
  const bad = [];
  for (const c of cols) {
    const d = await q1(`SELECT (SELECT count(*) FROM (SELECT ${ident(c.name)} FROM cmp_a EXCEPT ALL
        SELECT ${ident(c.name)} FROM cmp_b)) AS n`);
    if (d.n !== '0') bad.push(c.name);
  }
  if (bad.length) msg += `\n    columns whose values differ: ${bad.join(', ')}`;
  const show = bad.length ? bad.slice(0, 4).map(ident).join(', ') : '*';
  const sa = await q(`SELECT ${show} FROM (SELECT * FROM cmp_a EXCEPT ALL SELECT * FROM cmp_b) LIMIT 3`);
  const sb = await q(`SELECT ${show} FROM (SELECT * FROM cmp_b EXCEPT ALL SELECT * FROM cmp_a) LIMIT 3`);
  msg += `\n    reference only: ${JSON.stringify(sa)}\n    cairn only:     ${JSON.stringify(sb)}`;
  fail(msg);
}

// The header line of a CSV file (column names are not checked by read_csv with explicit types).
function csvHeader(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(65536);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  return buf.subarray(0, n).toString('utf8').split(/\r?\n/)[0];
}

async function expectParquetTypes(file, cols) {
  const types = new Map((await describe(`read_parquet(${lit(file)})`)).map((c) => [c.name, c.type]));
  const bad = [];
  for (const c of cols) {
    const t = types.get(c.name);
    if (!PARQUET_TYPES[c.kind].includes(t)) {
      bad.push(`${c.name}: ${t} (expected ${PARQUET_TYPES[c.kind].join(' or ')})`);
    }
  }
  expect(bad.length === 0, `column types as DuckDB reads cairn's Parquet: ${bad.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------
// Parquet metadata checks (cairn's writer options).

async function rowGroups(file) {
  return await q(`SELECT DISTINCT row_group_id::BIGINT AS id, row_group_num_rows::BIGINT AS n
      FROM parquet_metadata(${lit(file)}) ORDER BY id`);
}

async function expectRowGroups(file, totalRows, groupRows) {
  const groups = await rowGroups(file);
  const want = Math.max(1, Math.ceil(totalRows / groupRows));
  const sizes = groups.map((g) => Number(g.n));
  expect(groups.length === want,
         `${groups.length} row groups (sizes ${sizes.slice(0, 12).join(',')}), expected ${want} ` +
         `of ${groupRows} rows`);
  const wrong = sizes.findIndex((n, i) => n !== Math.min(groupRows, totalRows - i * groupRows));
  expect(wrong < 0, `row group ${wrong} has ${sizes[wrong]} rows, expected ${groupRows}`);
}

async function expectCodec(file, codec) {
  const rows = await q(`SELECT DISTINCT compression FROM parquet_metadata(${lit(file)})`);
  const got = rows.map((r) => r.compression).sort();
  expect(got.length === 1 && got[0] === codec, `column chunk codecs ${got.join(',')}, expected ${codec}`);
}

// Statistics of every column chunk must equal DuckDB's own aggregates over the rows of that row
// group (null_count, min, max as DuckDB prints them). With `present` false, none may be written.
async function expectStatistics(file, cols, present) {
  const meta = await q(`SELECT row_group_id::BIGINT AS rg, row_group_num_rows::BIGINT AS n,
      path_in_schema AS col, stats_min_value AS mn, stats_max_value AS mx,
      stats_null_count AS nulls FROM parquet_metadata(${lit(file)}) ORDER BY rg, column_id`);
  if (!present) {
    const withStats = meta.filter((m) => m.mn !== null || m.mx !== null || m.nulls !== null);
    expect(withStats.length === 0, `statistics written although disabled: ` +
           JSON.stringify(withStats.slice(0, 2)));
    return;
  }
  const starts = new Map();
  let offset = 0;
  for (const m of meta) {
    if (!starts.has(m.rg)) {
      starts.set(m.rg, offset);
      offset += Number(m.n);
    }
  }
  const aggs = cols.map((c) => `count(*) - count(${ident(c.name)}) AS ${ident(c.name + '#nulls')},
      CAST(min(${ident(c.name)}) AS VARCHAR) AS ${ident(c.name + '#min')},
      CAST(max(${ident(c.name)}) AS VARCHAR) AS ${ident(c.name + '#max')}`).join(', ');
  const caseExpr = [...starts.entries()].map(([rg, start]) => `WHEN file_row_number >= ${start} THEN ${rg}`)
                       .reverse().join(' ');
  const truth = await q(`SELECT CASE ${caseExpr} END AS rg, ${aggs}
      FROM read_parquet(${lit(file)}, file_row_number=true) GROUP BY ALL ORDER BY rg`);
  const byRg = new Map(truth.map((t) => [String(t.rg), t]));
  const bad = [];
  for (const m of meta) {
    const c = cols.find((x) => x.name === m.col);
    if (!c) continue;
    const t = byRg.get(String(m.rg));
    const want = {nulls: t[c.name + '#nulls'], mn: t[c.name + '#min'], mx: t[c.name + '#max']};
    for (const k of ['nulls', 'mn', 'mx']) {
      if (String(m[k]) !== String(want[k])) {
        bad.push(`row group ${m.rg} column ${m.col} ${k}: file says ${m[k]}, data says ${want[k]}`);
      }
    }
  }
  expect(bad.length === 0, `${bad.length} statistics differ from the data:\n    ` +
         bad.slice(0, 6).join('\n    '));
}

async function expectDictionary(file, dictCols, plainCols) {
  const meta = await q(`SELECT path_in_schema AS col, encodings, dictionary_page_offset AS dict
      FROM parquet_metadata(${lit(file)})`);
  const bad = [];
  for (const m of meta) {
    const hasDict = m.dict !== null || /DICTIONARY/.test(m.encodings);
    if (dictCols.includes(m.col) && !hasDict) bad.push(`${m.col}: no dictionary (${m.encodings})`);
    if (plainCols.includes(m.col) && hasDict) bad.push(`${m.col}: dictionary (${m.encodings})`);
  }
  expect(bad.length === 0, [...new Set(bad)].slice(0, 6).join('; '));
}

// The PageHeader at each column chunk's data_page_offset must be a data page of the expected
// version. The header is Thrift compact: field 1 (type, i32) is 0x15 then a zigzag varint:
// DATA_PAGE = 0 -> 0x00, DICTIONARY_PAGE = 2 -> 0x04, DATA_PAGE_V2 = 3 -> 0x06.
async function expectPageVersion(file, v2) {
  const meta = await q(`SELECT path_in_schema AS col, data_page_offset::BIGINT AS off
      FROM parquet_metadata(${lit(file)})`);
  const bytes = fs.readFileSync(file);
  const names = {0x00: 'DATA_PAGE', 0x04: 'DICTIONARY_PAGE', 0x06: 'DATA_PAGE_V2'};
  const want = v2 ? 0x06 : 0x00;
  const bad = [];
  for (const m of meta) {
    const off = Number(m.off);
    const b0 = bytes[off];
    const b1 = bytes[off + 1];
    if (b0 !== 0x15 || b1 !== want) {
      bad.push(`${m.col} at ${off}: ${b0 === 0x15 ? names[b1] || `type ${b1}` : 'not a page header'}`);
    }
  }
  expect(bad.length === 0, `expected ${names[want]} at data_page_offset: ${bad.slice(0, 4).join('; ')}`);
}

// ---------------------------------------------------------------------------------------------
// Part 1 data: one small file per type (plain, NOT NULL, low-cardinality columns, edge values)
// and a wide file with all types in several Parquet layouts.

const N_TYPE = 3000;
// SQL expression producing row i's value; `edges` are literals placed in the first rows.
const TYPE_CASES = [
  {name: 'boolean', sql: 'BOOLEAN', kind: 'bool', gen: '(i % 3 = 0)', low: '(i % 2 = 0)', edges: []},
  {name: 'tinyint', sql: 'TINYINT', kind: 'int', gen: 'CAST((i * 37) % 256 - 128 AS TINYINT)',
   low: 'CAST(i % 5 - 2 AS TINYINT)', edges: ['-128', '127', '0', '-1']},
  {name: 'smallint', sql: 'SMALLINT', kind: 'int', gen: 'CAST((i * 7919) % 65536 - 32768 AS SMALLINT)',
   low: 'CAST(i % 5 * 1000 AS SMALLINT)', edges: ['-32768', '32767', '0']},
  {name: 'integer', sql: 'INTEGER', kind: 'int',
   gen: 'CAST((i * 2654435761) % 4294967296 - 2147483648 AS INTEGER)', low: 'CAST(i % 7 - 3 AS INTEGER)',
   edges: ['-2147483648', '2147483647', '0', '-1']},
  {name: 'bigint', sql: 'BIGINT', kind: 'int',
   gen: 'CAST(hash(i) % 9223372036854775807 AS BIGINT) * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END)',
   low: 'CAST(i % 9 AS BIGINT) * 1000000000000', edges: ['-9223372036854775808', '9223372036854775807', '0']},
  {name: 'float', sql: 'FLOAT', kind: 'float',
   gen: 'CAST((i - 1500) / 7.0 * pow(10, (i % 20) - 10) AS FLOAT)', low: 'CAST(i % 4 * 0.25 AS FLOAT)',
   edges: ['3.4028235e38', '-3.4028235e38', '1.4e-45', '1.1754944e-38', '0.1', '16777217', '-0.0']},
  {name: 'double', sql: 'DOUBLE', kind: 'float',
   gen: '(i - 1500) / 7.0 * pow(10, (i % 40) - 20)', low: 'CAST(i % 4 AS DOUBLE) / 3',
   edges: ['1.7976931348623157e308', '-1.7976931348623157e308', '5e-324', '2.2250738585072014e-308',
           '0.1', '9007199254740993', '1e21', '123456789.125', '-0.0']},
  {name: 'double_special', sql: 'DOUBLE', kind: 'float', gen: '(i * 0.5)', low: '(i % 3) * 1.0',
   edges: ["'nan'::DOUBLE", "'inf'::DOUBLE", "'-inf'::DOUBLE"]},
  {name: 'varchar', sql: 'VARCHAR', kind: 'string', gen: "'v' || hash(i)::VARCHAR",
   low: "'cat_' || (i % 20)::VARCHAR", edges: []},
  {name: 'varchar_special', sql: 'VARCHAR', kind: 'string', gen: "repeat(chr(97 + (i % 26)::INTEGER), (i % 50)::INTEGER)",
   low: "CASE i % 3 WHEN 0 THEN '' WHEN 1 THEN 'a,b' ELSE 'x\"y' END",
   edges: ["''", "' '", "'comma,inside'", "'quote\"inside'", "'line\nbreak'", "'crlf\r\nx'",
           "'tab\tx'", "'back\\slash'", "'héllo ✓ 日本語 🎉'", "'NULL'", "'null'", "'NA'", "'N/A'",
           "'true'", "'123'", "'1e5'", "'2021-01-01'", "' lead and trail '", "'\"'", "'\"\"'",
           "'{\"json\": [1]}'", "chr(1) || 'ctl' || chr(31)", "repeat('long', 5000)"]},
  {name: 'timestamp', sql: 'TIMESTAMP', kind: 'ts',
   gen: "TIMESTAMP '2020-01-01' + to_microseconds(CAST((i - 1500) * 98765432101 AS BIGINT))",
   low: "TIMESTAMP '2024-03-01' + to_hours(CAST(i % 6 AS BIGINT))",
   edges: ["TIMESTAMP '1970-01-01 00:00:00'", "TIMESTAMP '1969-12-31 23:59:59.999999'",
           "TIMESTAMP '1900-01-01 00:00:00.000001'", "TIMESTAMP '0001-01-01 00:00:00'",
           "TIMESTAMP '9999-12-31 23:59:59.999999'", "TIMESTAMP '2000-02-29 12:34:56.5'"]},
  {name: 'timestamptz', sql: 'TIMESTAMPTZ', kind: 'ts',
   gen: "TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_microseconds(CAST((i - 1500) * 98765432101 AS BIGINT))",
   low: "TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_hours(CAST(i % 6 AS BIGINT))",
   edges: ["TIMESTAMPTZ '1970-01-01 00:00:00+00'", "TIMESTAMPTZ '1969-12-31 23:59:59.999999+00'",
           "TIMESTAMPTZ '1900-01-01 00:00:00.000001+00'", "TIMESTAMPTZ '2262-04-11 23:47:16.854775+00'"]},
  {name: 'timestamp_ms', sql: 'TIMESTAMP_MS', kind: 'ts_ms',
   gen: "CAST(TIMESTAMP '2020-01-01' + to_milliseconds(CAST((i - 1500) * 98765432 AS BIGINT)) AS TIMESTAMP_MS)",
   low: "CAST(TIMESTAMP '2024-03-01' + to_hours(CAST(i % 6 AS BIGINT)) AS TIMESTAMP_MS)",
   edges: ["TIMESTAMP_MS '1970-01-01 00:00:00'", "TIMESTAMP_MS '1969-12-31 23:59:59.999'",
           "TIMESTAMP_MS '1900-01-01 00:00:00.001'", "TIMESTAMP_MS '2000-02-29 12:34:56.789'"]},
  {name: 'timestamp_ns', sql: 'TIMESTAMP_NS', kind: 'ts_ns',
   gen: 'make_timestamp_ns(CAST((i % 3000 - 1500) * 3074457345618258 + i AS BIGINT))',
   low: 'make_timestamp_ns(CAST(1700000000000000000 + (i % 6) * 1000000007 AS BIGINT))',
   edges: ['make_timestamp_ns(0)', 'make_timestamp_ns(-1)', 'make_timestamp_ns(1)',
           'make_timestamp_ns(1234567890123456789)', 'make_timestamp_ns(-1234567890123456789)']},
  {name: 'date', sql: 'DATE', kind: 'date', gen: "DATE '2000-01-01' + CAST((i * 37) % 40000 - 20000 AS INTEGER)",
   low: "DATE '2024-01-01' + CAST(i % 5 AS INTEGER)",
   edges: ["DATE '1970-01-01'", "DATE '1969-12-31'", "DATE '0001-01-01'", "DATE '9999-12-31'",
           "DATE '2000-02-29'"]},
];

function valueExpr(tc, withNulls) {
  const edges = tc.edges.map((e, k) => `WHEN i = ${k} THEN CAST(${e} AS ${tc.sql})`).join(' ');
  const nulls = withNulls ? `WHEN i >= ${tc.edges.length} AND i % 7 = 3 THEN NULL ` : '';
  const gen = `CAST(${tc.gen} AS ${tc.sql})`;
  return nulls || edges ? `CASE ${nulls}${edges} ELSE ${gen} END` : gen;
}

async function createTypeTable(tc, table) {
  await q(`CREATE OR REPLACE TABLE ${table} (id BIGINT NOT NULL, v ${tc.sql}, v_nn ${tc.sql} NOT NULL,
      v_low ${tc.sql})`);
  await q(`INSERT INTO ${table} SELECT i, ${valueExpr(tc, true)}, ${valueExpr(tc, false)},
      CASE WHEN i % 11 = 5 THEN NULL ELSE CAST(${tc.low} AS ${tc.sql}) END FROM range(${N_TYPE}) r(i)`);
}

const typeCols = (tc) => [{name: 'id', kind: 'int'}, {name: 'v', kind: tc.kind},
                          {name: 'v_nn', kind: tc.kind}, {name: 'v_low', kind: tc.kind}];

// Converts `src` with cairn to each format and compares with DuckDB's reading of `src`.
async function convertAndCompare(prefix, src, cols, {formats = ['parquet', 'jsonl', 'csv'],
                                                    extra = []} = {}) {
  for (const fmt of formats) {
    await check(`${prefix}/${fmt}`, async () => {
      const out = W(`${path.basename(src, '.parquet')}.out.${fmt}`);
      const r = cairnOk(['table', 'convert', src, out, ...extra]);
      expect(fs.existsSync(out), `exit 0 but ${out} was not written`);
      if (fmt === 'csv') {
        const header = csvHeader(out);
        const want = cols.map((c) => c.name).join(',');
        expect(header === want, `CSV header '${header}', expected '${want}'`);
      }
      // JSON has no NaN or infinity: cairn writes them as null (docs/jsonl.md).
      const n = await expectSameRows(`read_parquet(${lit(src)})`, readRel(out, fmt, cols), cols,
                                     {nonFiniteToNull: fmt === 'jsonl'});
      if (fmt === 'parquet') await expectParquetTypes(out, cols);
      return `${n} rows, ${Math.round(r.ms)} ms`;
    });
  }
}

async function duckdbToCairn() {
  for (const tc of TYPE_CASES) {
    const table = `t_${tc.name}`;
    const src = W(`type_${tc.name}.parquet`);
    await createTypeTable(tc, table);
    await q(`COPY ${table} TO ${lit(src)} (FORMAT parquet)`);
    await convertAndCompare(`duckdb-to-cairn/type/${tc.name}`, src, typeCols(tc));
  }

  // One wide table with every type (except DATE and the special values, which have their own
  // files above), written by DuckDB in several layouts. High-cardinality columns come out plain,
  // low-cardinality ones dictionary-encoded.
  const wideTypes = TYPE_CASES.filter((tc) => !['date', 'double_special', 'varchar_special'].includes(tc.name));
  const wideRows = 20000;
  const colsSql = [];
  const selSql = [];
  const cols = [{name: 'id', kind: 'int'}];
  for (const tc of wideTypes) {
    for (const [suffix, expr, notNull] of [['', valueExpr(tc, true), false], ['_nn', valueExpr(tc, false), true],
                                           ['_low', `CASE WHEN i % 11 = 5 THEN NULL ELSE CAST(${tc.low} AS ${tc.sql}) END`, false]]) {
      colsSql.push(`${tc.name}${suffix} ${tc.sql}${notNull ? ' NOT NULL' : ''}`);
      selSql.push(expr);
      cols.push({name: `${tc.name}${suffix}`, kind: tc.kind});
    }
  }
  await q(`CREATE OR REPLACE TABLE wide (id BIGINT NOT NULL, ${colsSql.join(', ')})`);
  await q(`INSERT INTO wide SELECT i, ${selSql.join(', ')} FROM range(${wideRows}) r(i)`);
  const layouts = [
    ['snappy-v1', "COMPRESSION snappy"],
    ['zstd-v1', "COMPRESSION zstd"],
    ['uncompressed-v1', "COMPRESSION uncompressed"],
    ['snappy-v1-rowgroups', "COMPRESSION snappy, ROW_GROUP_SIZE 2048"],
    ['snappy-v2', "COMPRESSION snappy, PARQUET_VERSION V2"],
    ['zstd-v2-rowgroups', "COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 4096"],
    ['uncompressed-v2', "COMPRESSION uncompressed, PARQUET_VERSION V2"],
  ];
  for (const [name, options] of layouts) {
    const src = W(`wide_${name}.parquet`);
    await q(`COPY wide TO ${lit(src)} (FORMAT parquet, ${options})`);
    const groups = (await rowGroups(src)).length;
    await convertAndCompare(`duckdb-to-cairn/wide/${name} (${groups} row groups)`, src, cols);
  }

  // Zero rows, and columns that are entirely null (no statistics, no values at all).
  const emptyCols = [{name: 'id', kind: 'int'}, {name: 's', kind: 'string'}, {name: 'x', kind: 'float'},
                     {name: 'ts', kind: 'ts'}];
  const empty = W('empty.parquet');
  await q(`COPY (SELECT 1::BIGINT AS id, 'a' AS s, 1.5::DOUBLE AS x, TIMESTAMP '2020-01-01' AS ts
      LIMIT 0) TO ${lit(empty)} (FORMAT parquet)`);
  await convertAndCompare('duckdb-to-cairn/zero-rows', empty, emptyCols);
  const allNull = W('all_null.parquet');
  await q(`COPY (SELECT i AS id, NULL::VARCHAR AS s, NULL::DOUBLE AS x, NULL::TIMESTAMP AS ts
      FROM range(5000) r(i)) TO ${lit(allNull)} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  await convertAndCompare('duckdb-to-cairn/all-null-columns', allNull, emptyCols, {formats: ['parquet']});

  // Large file: 1.2M rows, many row groups, all three output formats.
  const bigRows = 1200000;
  const big = W('big.parquet');
  await q(`COPY (SELECT i AS id, CASE WHEN i % 10 = 3 THEN NULL ELSE CAST(i AS DOUBLE) * 0.001 - 600 END AS x,
      (i % 3 = 0) AS flag, 'cat_' || (i % 100)::VARCHAR AS category, 'u' || hash(i)::VARCHAR AS uid,
      TIMESTAMP '2023-01-01' + to_microseconds(CAST(i * 1000003 AS BIGINT)) AS ts
      FROM range(${bigRows}) r(i)) TO ${lit(big)} (FORMAT parquet, COMPRESSION zstd)`);
  const bigCols = [{name: 'id', kind: 'int'}, {name: 'x', kind: 'float'}, {name: 'flag', kind: 'bool'},
                   {name: 'category', kind: 'string'}, {name: 'uid', kind: 'string'}, {name: 'ts', kind: 'ts'}];
  await convertAndCompare(`duckdb-to-cairn/large-1.2M`, big, bigCols);
}

// ---------------------------------------------------------------------------------------------
// Part 2: DuckDB writes CSV / JSONL / Parquet sources; cairn converts them to Parquet with every
// writer option; DuckDB checks values and metadata.

const SRC_ROWS = 20000;
const srcCols = [{name: 'id', kind: 'int'}, {name: 'x', kind: 'float'}, {name: 'flag', kind: 'bool'},
                 {name: 'category', kind: 'string'}, {name: 'note', kind: 'string'}, {name: 'ts', kind: 'ts'}];

async function cairnToDuckdb() {
  // Strings avoid the tokens cairn's CSV reader treats as null (NULL, NA, ...): they are a
  // documented difference, not an interop property.
  await q(`CREATE OR REPLACE TABLE src AS SELECT
      CAST(i * 7 - 70000 AS BIGINT) AS id,
      CASE WHEN i % 9 = 4 THEN NULL ELSE (i - 10000) / 64.0 + (i % 7) * 1e-9 END AS x,
      CASE WHEN i % 13 = 6 THEN NULL ELSE i % 3 = 0 END AS flag,
      'cat_' || (i % 20)::VARCHAR AS category,
      CASE WHEN i % 17 = 8 THEN NULL WHEN i % 17 = 9 THEN ''
           WHEN i % 101 = 0 THEN 'multi\nline, "quoted" ' || i::VARCHAR
           ELSE 'note ' || hash(i)::VARCHAR END AS note,
      TIMESTAMP '2022-06-01 12:00:00' + to_microseconds(CAST(i * 4321987 AS BIGINT)) AS ts
      FROM range(${SRC_ROWS}) r(i)`);
  const sources = {
    csv: W('src.csv'),
    jsonl: W('src.jsonl'),
    parquet: W('src.parquet'),
  };
  await q(`COPY src TO ${lit(sources.csv)} (FORMAT csv, HEADER)`);
  await q(`COPY src TO ${lit(sources.jsonl)} (FORMAT json)`);
  await q(`COPY src TO ${lit(sources.parquet)} (FORMAT parquet, ROW_GROUP_SIZE 4096)`);
  const typeArgs = {csv: ['--type', 'ts=timestamp'], jsonl: ['--type', 'ts=timestamp'], parquet: []};

  // The metadata checks are first run on DuckDB's own file, so that a failure below is cairn's.
  await check('cairn-to-duckdb/control: statistics checks hold on a DuckDB-written file', async () => {
    await expectStatistics(sources.parquet, srcCols, true);
    await expectDictionary(sources.parquet, ['category'], []);
    await expectPageVersion(sources.parquet, false);
  });

  for (const fmt of ['csv', 'jsonl']) {
    await check(`cairn-to-duckdb/infer-types/${fmt}`, async () => {
      const out = W(`infer_${fmt}.parquet`);
      cairnOk(['table', 'convert', sources[fmt], out]);
      await expectParquetTypes(out, srcCols);
      await expectSameRows('src', `read_parquet(${lit(out)})`, srcCols);
    });
  }

  const configs = [
    {name: 'default', args: [], codec: 'SNAPPY', dict: true, v2: false, rg: 1 << 20, stats: true},
    {name: 'compression-none', args: ['--compression', 'none'], codec: 'UNCOMPRESSED'},
    {name: 'compression-snappy', args: ['--compression', 'snappy'], codec: 'SNAPPY'},
    {name: 'compression-zstd', args: ['--compression', 'zstd'], codec: 'ZSTD'},
    {name: 'no-dictionary', args: ['--no-dictionary'], dict: false},
    {name: 'page-v2', args: ['--page-v2'], v2: true},
    {name: 'row-groups-3000', args: ['--row-group-rows', '3000'], rg: 3000},
    {name: 'row-groups-1', args: ['--row-group-rows', '1'], rg: 1, sources: ['parquet'], rows: 50},
    {name: 'no-stats', args: ['--no-stats'], stats: false},
    {name: 'small-pages', args: ['--page-bytes', '4096']},
    {name: 'zstd-v2-nodict-rg5000-pages8k',
     args: ['--compression', 'zstd', '--page-v2', '--no-dictionary', '--row-group-rows', '5000',
            '--page-bytes', '8192'], codec: 'ZSTD', v2: true, dict: false, rg: 5000},
    {name: 'none-v2-rg7000-nostats',
     args: ['--compression', 'none', '--page-v2', '--row-group-rows', '7000', '--no-stats'],
     codec: 'UNCOMPRESSED', v2: true, rg: 7000, stats: false},
  ];
  const defaults = configs[0];
  for (const cfg of configs) {
    const c = {...defaults, ...cfg};
    for (const fmt of c.sources || ['csv', 'jsonl', 'parquet']) {
      await check(`cairn-to-duckdb/${fmt}/${c.name}`, async () => {
        let src = sources[fmt];
        let ref = 'src';
        let rows = SRC_ROWS;
        if (c.rows) {
          // A small source for the one-row-per-group case.
          rows = c.rows;
          src = W(`src_small.${fmt}`);
          await q(`COPY (SELECT * FROM src ORDER BY id LIMIT ${rows}) TO ${lit(src)} (FORMAT ${fmt === 'jsonl' ? 'json' : fmt})`);
          ref = `(SELECT * FROM src ORDER BY id LIMIT ${rows})`;
        }
        const out = W(`c2d_${fmt}_${c.name}.parquet`);
        cairnOk(['table', 'convert', src, out, ...typeArgs[fmt], ...c.args]);
        await expectSameRows(ref, `read_parquet(${lit(out)})`, srcCols);
        await expectParquetTypes(out, srcCols);
        await expectRowGroups(out, rows, c.rg);
        await expectCodec(out, c.codec);
        await expectStatistics(out, srcCols, c.stats);
        // Dictionary: low-cardinality 'category' must use one when enabled; nothing may when off.
        await expectDictionary(out, c.dict ? ['category'] : [], c.dict ? [] : srcCols.map((x) => x.name));
        await expectPageVersion(out, c.v2);
      });
    }
    // cairn's reader must read back what its writer wrote with these options.
    await check(`cairn-to-duckdb/read-back/${c.name}`, async () => {
      const fmt = (c.sources || ['csv'])[0];
      const written = W(`c2d_${fmt}_${c.name}.parquet`);
      expect(fs.existsSync(written), 'the conversion above did not produce a file');
      const back = W(`readback_${c.name}.csv`);
      cairnOk(['table', 'convert', written, back]);
      await expectSameRows(`read_parquet(${lit(written)})`, readRel(back, 'csv', srcCols), srcCols);
    });
  }

  // Parallel writing and reading must produce the same bytes as serial.
  await check('cairn-to-duckdb/threads: --threads 1 and --threads 2 write identical files', async () => {
    const outs = [];
    for (const t of ['1', '2']) {
      const out = W(`threads_${t}.parquet`);
      cairnOk(['table', 'convert', sources.csv, out, ...typeArgs.csv, '--row-group-rows', '2500',
               '--threads', t]);
      outs.push(fs.readFileSync(out));
    }
    expect(outs[0].equals(outs[1]), `outputs differ (${outs[0].length} vs ${outs[1].length} bytes)`);
    await expectSameRows('src', `read_parquet(${lit(W('threads_2.parquet'))})`, srcCols);
  });

  // Column selection.
  await check('cairn-to-duckdb/columns: --columns picks and orders columns', async () => {
    const out = W('columns.parquet');
    cairnOk(['table', 'convert', sources.parquet, out, '--columns', 'ts,id,note']);
    const names = (await describe(`read_parquet(${lit(out)})`)).map((c) => c.name);
    expect(names.join(',') === 'ts,id,note', `columns ${names.join(',')}, expected ts,id,note`);
    const cols = ['ts', 'id', 'note'].map((n) => srcCols.find((c) => c.name === n));
    await expectSameRows('(SELECT ts, id, note FROM src)', `read_parquet(${lit(out)})`, cols);
  });
}

// ---------------------------------------------------------------------------------------------
// Part 3: predicate pushdown on sorted data in many row groups.

async function predicatePushdown() {
  const sorted = W('sorted.parquet');
  const rows = 200000;
  await q(`CREATE OR REPLACE TABLE sorted AS SELECT i AS id,
      CASE WHEN i % 13 = 7 THEN NULL ELSE i / 10.0 END AS x,
      printf('k%06d', i) AS k,
      TIMESTAMP '2020-01-01' + to_seconds(CAST(i AS BIGINT)) AS ts,
      (i % 2 = 0) AS even FROM range(${rows}) r(i)`);
  await q(`COPY sorted TO ${lit(sorted)} (FORMAT parquet, ROW_GROUP_SIZE 10240)`);
  const cols = [{name: 'id', kind: 'int'}, {name: 'x', kind: 'float'}, {name: 'k', kind: 'string'},
                {name: 'ts', kind: 'ts'}, {name: 'even', kind: 'bool'}];
  const groups = (await rowGroups(sorted)).length;
  const cases = [
    ['id >= 150000', 'id >= 150000'],
    ['id < 1000', 'id < 1000'],
    ['id = 123456', 'id = 123456'],
    ['id == 77', 'id = 77'],
    ['id != 5', 'id != 5'],
    ['id <> 5', 'id <> 5'],
    ['id <= 0', 'id <= 0'],
    ['id > 199999', 'id > 199999'],
    ['id > -1', 'id > -1'],
    ['x > 19000.5', 'x > 19000.5'],
    ['x = 100', 'x = 100'],
    ["k = 'k100000'", "k = 'k100000'"],
    ["k >= 'k199990'", "k >= 'k199990'"],
    ['k < k000010', "k < 'k000010'"],
    ["ts < '2020-01-01T00:10:00Z'", "ts < TIMESTAMP '2020-01-01 00:10:00'"],
    ["ts >= '2020-01-03 07:00:00'", "ts >= TIMESTAMP '2020-01-03 07:00:00'"],
    ['even = true', 'even = true'],
    ['even = false', 'even = false'],
  ];
  for (const [where, sqlWhere] of cases) {
    await check(`pushdown/${where}`, async () => {
      const out = W('where.parquet');
      fs.rmSync(out, {force: true});
      cairnOk(['table', 'convert', sorted, out, '--where', where]);
      const n = await expectSameRows(`(SELECT * FROM sorted WHERE ${sqlWhere})`, `read_parquet(${lit(out)})`, cols);
      return `${n} rows of ${rows}, ${groups} row groups`;
    });
  }
  // The same filters on a file cairn wrote itself, so that its own statistics drive skipping.
  const own = W('sorted_cairn.parquet');
  await check('pushdown/cairn-written file: convert with --row-group-rows 10000', async () => {
    cairnOk(['table', 'convert', sorted, own, '--row-group-rows', '10000']);
    await expectRowGroups(own, rows, 10000);
  });
  for (const [where, sqlWhere] of cases.filter((c, k) => k % 3 === 0)) {
    await check(`pushdown/cairn-written/${where}`, async () => {
      expect(fs.existsSync(own), 'the cairn-written file is missing');
      const out = W('where_own.parquet');
      fs.rmSync(out, {force: true});
      cairnOk(['table', 'convert', own, out, '--where', where]);
      const n = await expectSameRows(`(SELECT * FROM sorted WHERE ${sqlWhere})`, `read_parquet(${lit(out)})`, cols);
      return `${n} rows`;
    });
  }
  await check('pushdown/two --where options are a conjunction', async () => {
    const out = W('where2.parquet');
    cairnOk(['table', 'convert', sorted, out, '--where', 'id >= 1000', '--where', 'id < 1010']);
    await expectSameRows('(SELECT * FROM sorted WHERE id >= 1000 AND id < 1010)', `read_parquet(${lit(out)})`, cols);
  });
  await check('pushdown/--where with --columns on a column not selected', async () => {
    const out = W('where3.csv');
    cairnOk(['table', 'convert', sorted, out, '--where', 'id >= 199995', '--columns', 'k,x']);
    const c = [cols[2], cols[1]];
    await expectSameRows('(SELECT k, x FROM sorted WHERE id >= 199995)', readRel(out, 'csv', c), c);
  });
  await check('pushdown/--where on a CSV source', async () => {
    const csv = W('sorted_small.csv');
    await q(`COPY (SELECT id, x, k FROM sorted WHERE id < 5000) TO ${lit(csv)} (FORMAT csv, HEADER)`);
    const out = W('where4.parquet');
    cairnOk(['table', 'convert', csv, out, '--where', 'x >= 250.5']);
    const c = cols.slice(0, 3);
    await expectSameRows('(SELECT id, x, k FROM sorted WHERE id < 5000 AND x >= 250.5)', `read_parquet(${lit(out)})`, c);
  });
  await check('pushdown/head --where prints the first matching row', async () => {
    const r = cairnOk(['table', 'head', sorted, '--where', 'id >= 150000']);
    expect(r.stdout.includes('150000'), `output does not show id 150000: ${tail(r.stdout, 300)}`);
    expect(!/\b149999\b/.test(r.stdout), `output shows a non-matching row: ${tail(r.stdout, 300)}`);
  });
  await check('pushdown/--where on an unknown column is an error', async () => {
    const out = W('where_bad.parquet');
    const r = cairn(['table', 'convert', sorted, out, '--where', 'nope > 1']);
    expect(r.status !== 0, 'exit 0');
    expect(/nope/.test(r.stderr), `message does not name the column: ${tail(r.stderr)}`);
    expect(!fs.existsSync(out), 'an output file was left behind');
  });
}

// ---------------------------------------------------------------------------------------------
// Part 4: bad input must give exit 1 and a message naming the file, never a crash or a hang.

// A counter-based generator (splitmix64) for the corruption positions: deterministic everywhere.
function* splitmix(seed) {
  let s = BigInt(seed);
  const mask = (1n << 64n) - 1n;
  for (;;) {
    s = (s + 0x9e3779b97f4a7c15n) & mask;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    yield z ^ (z >> 31n);
  }
}

async function badInput() {
  const good = W('good.parquet');
  await q(`COPY (SELECT i AS id, 'v' || i::VARCHAR AS s, i * 0.5 AS x FROM range(5000) r(i))
      TO ${lit(good)} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  const bytes = fs.readFileSync(good);

  function expectCleanError(file, cliArgs, extraPattern) {
    const out = W('bad_out.jsonl');
    fs.rmSync(out, {force: true});
    const r = cairn(cliArgs || ['table', 'convert', file, out], {timeoutMs: 30000});
    expect(r.status === 1, `exit ${r.status}, expected 1; stderr: ${tail(r.stderr)}`);
    const base = path.basename(file);
    expect(r.stderr.includes(base), `message does not name ${base}: ${tail(r.stderr)}`);
    if (extraPattern) {
      expect(extraPattern.test(r.stderr), `message does not match ${extraPattern}: ${tail(r.stderr)}`);
    }
    expect(!fs.existsSync(out), 'an output file was left behind');
    return tail(r.stderr, 120);
  }

  const variants = [
    ['truncated-half', bytes.subarray(0, bytes.length >> 1)],
    ['truncated-last-byte', bytes.subarray(0, bytes.length - 1)],
    ['truncated-footer', bytes.subarray(0, bytes.length - 8)],
    ['only-magic', bytes.subarray(0, 4)],
    ['empty', Buffer.alloc(0)],
    ['wrong-trailing-magic', Buffer.concat([bytes.subarray(0, bytes.length - 4), Buffer.from('PAR2')])],
    ['wrong-leading-magic', Buffer.concat([Buffer.from('XXXX'), bytes.subarray(4)])],
    ['csv-named-parquet', Buffer.from('a,b\n1,2\n')],
  ];
  const hugeFooter = Buffer.from(bytes);
  hugeFooter.writeUInt32LE(0x7fffffff, bytes.length - 8);
  variants.push(['footer-length-too-large', hugeFooter]);
  const zeroFooter = Buffer.from(bytes);
  zeroFooter.writeUInt32LE(0, bytes.length - 8);
  variants.push(['footer-length-zero', zeroFooter]);
  const garbledFooter = Buffer.from(bytes);
  const footerLen = bytes.readUInt32LE(bytes.length - 8);
  for (let k = bytes.length - 8 - footerLen; k < bytes.length - 8; k += 3) garbledFooter[k] ^= 0xa5;
  variants.push(['garbled-footer', garbledFooter]);

  for (const [name, data] of variants) {
    await check(`bad-input/parquet/${name}`, async () => {
      const file = W(`bad_${name}.parquet`);
      fs.writeFileSync(file, data);
      return expectCleanError(file);
    });
  }

  // Random byte corruptions anywhere in the file: any exit status is acceptable (a flipped
  // value byte can still be a valid file) except a crash or a hang.
  await check('bad-input/parquet/200 single-byte corruptions: no crash, no hang', async () => {
    const rng = splitmix(42);
    const file = W('corrupt.parquet');
    const counts = {0: 0, 1: 0, other: 0};
    for (let k = 0; k < 200; ++k) {
      const data = Buffer.from(bytes);
      const pos = Number(rng.next().value % BigInt(data.length));
      data[pos] ^= Number((rng.next().value % 255n) + 1n);
      fs.writeFileSync(file, data);
      let r;
      try {
        r = cairn(['table', 'convert', file, W('corrupt_out.csv')], {timeoutMs: 20000});
      } catch (e) {
        fail(`corruption #${k} (byte ${pos}): ${e.message}`);
      }
      counts[r.status === 0 || r.status === 1 ? r.status : 'other']++;
      if (r.status !== 0 && r.status !== 1) fail(`corruption #${k} (byte ${pos}): exit ${r.status}`);
      if (r.status === 1 && !r.stderr.includes('corrupt.parquet')) {
        fail(`corruption #${k} (byte ${pos}): message does not name the file: ${tail(r.stderr)}`);
      }
    }
    return `${counts[0]} read, ${counts[1]} rejected`;
  });

  const textCases = [
    ['ragged.csv', 'a,b\n1,2\n3\n4,5\n', /ragged\.csv:3/],
    ['too-many-fields.csv', 'a,b\n1,2\n3,4,5\n', /too-many-fields\.csv:3/],
    ['unterminated-quote.csv', 'a,b\n1,"abc\n2,3\n', null],
    ['bad-int.csv', 'a,b\n1,2\n3,4\nx,5\n', null],
    ['bad.jsonl', '{"a": 1}\n{"a": 2\n', /bad\.jsonl:2/],
    ['not-object.jsonl', '{"a": 1}\n[1, 2]\n', /not-object\.jsonl:2/],
  ];
  for (const [name, text, pattern] of textCases) {
    await check(`bad-input/${name}`, async () => {
      const file = W(name);
      fs.writeFileSync(file, text);
      const out = W('bad_out.parquet');
      return expectCleanError(file, ['table', 'convert', file, out, ...(name === 'bad-int.csv' ? ['--type', 'a=int64'] : [])], pattern);
    });
  }
  await check('bad-input/missing file', async () => {
    const file = W('does_not_exist.parquet');
    return expectCleanError(file);
  });
  for (const verb of ['schema', 'head', 'stats']) {
    await check(`bad-input/table ${verb} on truncated Parquet`, async () => {
      const file = W('bad_truncated-half.parquet');
      fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
      return expectCleanError(file, ['table', verb, file]);
    });
  }
}


// ---------------------------------------------------------------------------------------------
// Part 5: hand-written CSV and JSONL spellings (line endings, BOM, timestamp and number forms,
// nested objects) read by cairn into Parquet, compared with DuckDB reading the same text.

async function textSources() {
  const tsForms = ['2021-03-04T05:06:07Z', '2021-03-04 05:06:07', '2021-03-04T05:06:07.5Z',
                   '2021-03-04T05:06:07.123456Z', '2021-03-04T05:06:07+02:00',
                   '2021-03-04T05:06:07.25-05:30', '1969-12-31T23:59:59.999Z', '2021-03-04',
                   '1900-02-28T12:00:00Z'];
  const cases = [
    {name: 'crlf.csv', text: 'id,name,ts\r\n1,a,2021-01-01T00:00:00Z\r\n2,"b\r\nc",2021-01-02 03:04:05.123456\r\n3,,2021-01-03T00:00:00Z\r\n',
     cols: [{name: 'id', kind: 'int'}, {name: 'name', kind: 'string'}, {name: 'ts', kind: 'ts'}],
     args: ['--type', 'ts=timestamp']},
    {name: 'bom.csv', text: '\ufeffid,name\n1,x\n2,y\n',
     cols: [{name: 'id', kind: 'int'}, {name: 'name', kind: 'string'}]},
    {name: 'no-final-newline.csv', text: 'id,name\n1,x\n2,"y ""q"""',
     cols: [{name: 'id', kind: 'int'}, {name: 'name', kind: 'string'}]},
    {name: 'timestamp-forms.csv', text: 'id,ts\n' + tsForms.map((t, k) => `${k},${t}`).join('\n') + '\n',
     cols: [{name: 'id', kind: 'int'}, {name: 'ts', kind: 'ts'}], args: ['--type', 'ts=timestamp']},
    {name: 'timestamp-inferred.csv', text: 'id,ts\n' + tsForms.filter((t) => t.includes('T') && t.endsWith('Z'))
                                                        .map((t, k) => `${k},${t}`).join('\n') + '\n',
     cols: [{name: 'id', kind: 'int'}, {name: 'ts', kind: 'ts'}], expectTypes: true},
    {name: 'numbers.csv',
     text: 'i,f\n9223372036854775807,1e5\n-9223372036854775808,1E-5\n0,-0.0\n-1,3.141592653589793\n' +
           '42,1.7976931348623157e308\n7,5e-324\n8,0.1\n9,100\n10,-2.5e-300\n',
     cols: [{name: 'i', kind: 'int'}, {name: 'f', kind: 'float'}], expectTypes: true},
    {name: 'non-finite.csv', text: 'f\n1.5\nnan\ninf\n-inf\nNaN\n',
     cols: [{name: 'f', kind: 'float'}], args: ['--type', 'f=float64']},
    {name: 'keys-vary.jsonl',
     text: '{"id": 1, "s": "a", "x": 1.5}\n{"x": 2, "id": 2}\n{"id": 3, "s": null, "x": null}\n' +
           '{"s": "d\\u00e9\\n\\"q\\"", "id": 4, "x": -0.25}\n\n',
     cols: [{name: 'id', kind: 'int'}, {name: 's', kind: 'string'}, {name: 'x', kind: 'float'}]},
  ];
  for (const c of cases) {
    await check(`text-sources/${c.name}`, async () => {
      const file = W(c.name);
      fs.writeFileSync(file, c.text);
      const out = W(`${c.name}.parquet`);
      cairnOk(['table', 'convert', file, out, ...(c.args || [])]);
      const fmt = c.name.endsWith('.csv') ? 'csv' : 'jsonl';
      const ref = fmt === 'csv'
          ? readRel(file, 'csv', c.cols).replace("escape='\"',", "escape='\"', strict_mode=false,")
          : readRel(file, 'jsonl', c.cols);
      if (c.expectTypes) await expectParquetTypes(out, c.cols);
      const n = await expectSameRows(ref, `read_parquet(${lit(out)})`, c.cols);
      return `${n} rows`;
    });
  }

  // Nested JSON objects become dotted columns, and are nested again when written as JSONL.
  await check('text-sources/nested.jsonl: objects flatten to dotted columns and nest back', async () => {
    const file = W('nested.jsonl');
    fs.writeFileSync(file,
        '{"id": 1, "tags": {"weather": "rain", "night": true}, "a": {"b": {"c": 10}}}\n' +
        '{"id": 2, "tags": {"night": false}, "a": {"b": {"c": -3}}}\n' +
        '{"id": 3, "tags": {"weather": "sun", "night": null}, "a": {"b": {"c": null}}}\n');
    const out = W('nested.parquet');
    cairnOk(['table', 'convert', file, out]);
    const names = (await describe(`read_parquet(${lit(out)})`)).map((c) => c.name).sort();
    const want = ['a.b.c', 'id', 'tags.night', 'tags.weather'];
    expect(names.join(',') === want.join(','), `columns ${names.join(',')}, expected ${want.join(',')}`);
    const cols = [{name: 'id', kind: 'int'}, {name: 'tags.weather', kind: 'string'},
                  {name: 'tags.night', kind: 'bool'}, {name: 'a.b.c', kind: 'int'}];
    const ref = `(SELECT id, tags.weather AS "tags.weather", tags.night AS "tags.night", a.b.c AS "a.b.c"
        FROM read_json(${lit(file)}, format='newline_delimited',
        columns={'id': 'BIGINT', 'tags': 'STRUCT(weather VARCHAR, night BOOLEAN)', 'a': 'STRUCT(b STRUCT(c BIGINT))'}))`;
    await expectSameRows(ref, `read_parquet(${lit(out)})`, cols);
    const back = W('nested_back.jsonl');
    cairnOk(['table', 'convert', out, back]);
    const backRel = `(SELECT id, tags.weather AS "tags.weather", tags.night AS "tags.night", a.b.c AS "a.b.c"
        FROM read_json(${lit(back)}, format='newline_delimited',
        columns={'id': 'BIGINT', 'tags': 'STRUCT(weather VARCHAR, night BOOLEAN)', 'a': 'STRUCT(b STRUCT(c BIGINT))'}))`;
    await expectSameRows(ref, backRel, cols);
  });
}
// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  con = await inst.connect();
  await q("SET threads = 2; SET TimeZone = 'UTC'");
  console.log(`# cairn: ${args.cairn}\n# work dir: ${work}`);
  await duckdbToCairn().catch(setupError('duckdb-to-cairn'));
  await cairnToDuckdb().catch(setupError('cairn-to-duckdb'));
  await predicatePushdown().catch(setupError('pushdown'));
  await badInput().catch(setupError('bad-input'));
  await textSources().catch(setupError('text-sources'));
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`\n${results.passed} passed, ${results.failed} failed (${secs} s)`);
  if (results.failed) {
    console.log('failed:');
    for (const f of results.failures) console.log(`  ${f.name}`);
  }
  if (!args.keep) fs.rmSync(work, {recursive: true, force: true});
  process.exit(results.failed ? 1 : 0);
}

// An error while preparing data (not inside a check) is counted as one failure of that part.
function setupError(part) {
  return (e) => {
    results.failed++;
    results.failures.push({name: `${part} (setup)`, msg: e.message});
    console.log(`FAIL ${part} (setup)\n    ${e.message}`);
  };
}

main();
