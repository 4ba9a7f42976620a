#!/usr/bin/env node
// End-to-end suite of the training data store, driving the `cairn` binary.
//
//   node tests/store/cli_e2e.js --cairn build/x/src/cli/cairn [--duckdb-dir tests/duckdb]
//        [--filter SUBSTRING] [--keep] [--verbose]
//
// Each workspace is a fresh `cairn init` in a temporary directory. The catalog and the object
// store follow the environment, so the same checks run on every backend:
//
//   CAIRN_TEST_POSTGRES=postgresql://postgres@127.0.0.1:PORT/postgres
//       every workspace gets its own database on that server (created with psql, dropped at
//       the end) and CAIRN_CATALOG points at it; a postgresql:// CAIRN_CATALOG works the same;
//   CAIRN_TEST_S3_BUCKET (set by tests/s3/with_s3rver.js with the AWS_* variables)
//       every workspace gets CAIRN_STORE=s3://BUCKET/<unique prefix>; an s3:// CAIRN_STORE is
//       used as the parent of those prefixes, a directory CAIRN_STORE as their parent folder.
//
// The oracles are independent of cairn: the suite writes its input records itself (JSON Lines,
// CSV, and Parquet written by DuckDB), keeps its own model of what the dataset holds (every
// distinct version, with the commit that stored it), computes the current version of each key
// by the documented rule (greatest labeled_at, else the commit's time; ties to the later commit,
// then the later row) and the filter in JavaScript, and reads what cairn wrote with DuckDB: the
// exports in every format and, on a directory store, the segment Parquet blobs themselves.
// Split membership is not recomputed (that needs XXH3); its invariants are checked instead:
// splits are disjoint, their union is the expected selection, a group never straddles two
// splits, and adding data moves no example.
//
// Crash safety: an ingest of 300,000 records is killed with SIGKILL at seeded random moments
// (the delays are printed), and once while another process holds the catalog lock its commit
// needs (the sqlite3 shell or psql; skipped without one), so that its segment is uploaded but
// never committed. After each kill the dataset has all of the commit or none of it and
// `store verify` passes; `gc --grace 0s` then removes the orphans and nothing else.
//
// Prints one line per check and "N passed, N failed" at the end. Exit status: 0 when every
// check passed, 1 when one failed, 77 when DuckDB's Node.js client is not installed (the ctest
// skip code; install it with `npm ci --prefix tests/duckdb`).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawn, spawnSync} = require('child_process');
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
  const text = 'usage: cli_e2e.js --cairn PATH [--duckdb-dir DIR] [--filter SUBSTRING]... ' +
      '[--keep] [--verbose]';
  if (error) {
    console.error(`cli_e2e.js: ${error}\n${text}`);
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
  console.error(`cli_e2e.js: cairn binary not found: ${args.cairn}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-store-e2e-'));
const W = (name) => path.join(work, name);
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;
const runTag = `e2e-${process.pid}-${Date.now().toString(36)}`;

class CheckError extends Error {}
function fail(message) {
  throw new CheckError(message);
}
function expect(cond, message) {
  if (!cond) fail(message);
}
function expectEq(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) fail(`${what}: got ${g}, expected ${w}`);
}

function tail(text, n = 400) {
  const t = String(text || '').trim().replace(/\n/g, ' | ');
  return t.length > n ? `${t.slice(0, n)}...` : t;
}

// A small seeded generator (mulberry32), so that every run sees the same data and delays.
function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[next.int(list.length)];
  return next;
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

// ---------------------------------------------------------------------------------------------
// Time: microseconds since the epoch, UTC, as plain numbers (exact below 2^53).

const US_PER_S = 1000000;
const US_PER_DAY = 86400 * US_PER_S;
const dayUs = (iso) => Date.parse(iso) * 1000;

// '2021-06-03T10:00:00.123456Z'
function isoUs(us) {
  const s = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
  return `${s}.${String(((us % US_PER_S) + US_PER_S) % US_PER_S).padStart(6, '0')}Z`;
}

// The spellings of docs/data-model.md: 'T' or space, fraction or not, Z, an offset or no zone.
function spellTs(us, style) {
  switch (style % 4) {
    case 0:
      return isoUs(us);
    case 1:  // +02:00: the wall clock two hours ahead
      return `${isoUs(us + 2 * 3600 * US_PER_S).slice(0, 26).replace('T', ' ')}+02:00`;
    case 2:  // no zone means UTC
      return isoUs(us).slice(0, 26).replace('T', ' ');
    default:
      return us % US_PER_S === 0 ? `${isoUs(us).slice(0, 19)}Z` : isoUs(us);
  }
}

// Parses cairn's own timestamps ('2026-11-23T10:25:04.867916Z') into microseconds.
function parseIsoUs(text) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(text);
  if (!m) fail(`cannot parse timestamp '${text}'`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] || '').padEnd(6, '0'));
}

// ---------------------------------------------------------------------------------------------
// Workspaces: a directory with .cairn/, and the catalog and store the environment asks for.

function findPsql() {
  const r = spawnSync('psql', ['--version'], {encoding: 'utf8'});
  if (!r.error && r.status === 0) return 'psql';
  const pg15 = '/usr/lib/postgresql/15/bin/psql';
  if (fs.existsSync(pg15)) return pg15;
  return null;
}

function psql(adminUri, sql) {
  const exe = findPsql();
  if (!exe) fail('psql not found (PATH, /usr/lib/postgresql/15/bin)');
  const r = spawnSync(exe, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', adminUri, '-c', sql],
                      {encoding: 'utf8', timeout: 60000});
  if (r.status !== 0) fail(`psql ${sql}: ${tail(r.stderr || r.error)}`);
}

const postgresAdmin = process.env.CAIRN_TEST_POSTGRES ||
    (/^postgres(ql)?:\/\//.test(process.env.CAIRN_CATALOG || '') ? process.env.CAIRN_CATALOG : '');
const s3Root = process.env.CAIRN_TEST_S3_BUCKET ? `s3://${process.env.CAIRN_TEST_S3_BUCKET}`
    : (/^s3:\/\//.test(process.env.CAIRN_STORE || '') ? process.env.CAIRN_STORE.replace(/\/+$/, '')
                                                        : '');
const workspaces = [];

class Workspace {
  constructor(name, {useHome = false} = {}) {
    this.name = name;
    this.dir = W(name);
    this.useHome = useHome;  // CAIRN_HOME instead of the current directory
    this.env = {...process.env};
    delete this.env.CAIRN_HOME;
    delete this.env.CAIRN_CATALOG;
    delete this.env.CAIRN_STORE;
    this.database = null;
    if (postgresAdmin) {
      this.database = `cairn_${runTag.replace(/-/g, '_')}_${name}`;
      const u = new URL(postgresAdmin);
      u.pathname = `/${this.database}`;
      this.env.CAIRN_CATALOG = u.toString();
    } else if (process.env.CAIRN_CATALOG) {
      const c = process.env.CAIRN_CATALOG.replace(/^sqlite:\/\//, '');
      this.env.CAIRN_CATALOG = path.join(path.dirname(c), `${runTag}-${name}-${path.basename(c)}`);
    }
    // storeDir: the local directory of the store, null on S3.
    if (s3Root) {
      this.env.CAIRN_STORE = `${s3Root}/${runTag}/${name}`;
      this.storeDir = null;
    } else if (process.env.CAIRN_STORE) {
      this.storeDir = path.join(process.env.CAIRN_STORE.replace(/^file:\/\//, ''), `${runTag}-${name}`);
      this.env.CAIRN_STORE = this.storeDir;
    } else {
      this.storeDir = path.join(this.dir, '.cairn', 'objects');
    }
    if (useHome) this.env.CAIRN_HOME = this.dir;
    workspaces.push(this);
  }

  describe() {
    const cat = this.env.CAIRN_CATALOG || '.cairn/catalog.db';
    const store = this.env.CAIRN_STORE || '.cairn/objects';
    return `catalog ${cat.replace(/\/\/[^@/]*@/, '//')}, store ${store}`;
  }

  init() {
    if (this.database) psql(postgresAdmin, `CREATE DATABASE ${ident(this.database)}`);
    const r = spawnSync(args.cairn, ['init', this.dir, '--json'],
                        {encoding: 'utf8', env: this.env, cwd: work});
    if (r.status !== 0) fail(`cairn init ${this.dir}: exit ${r.status}: ${tail(r.stderr)}`);
    return JSON.parse(r.stdout);
  }

  spawnOptions() {
    return {env: this.env, cwd: this.useHome ? work : this.dir};
  }

  // Runs cairn. Returns {status, stdout, stderr, ms, shown}. A crash or a hang is always a
  // failure, whatever the caller expects.
  run(cliArgs, {timeoutMs = 120000} = {}) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(args.cairn, cliArgs, {
      encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, ...this.spawnOptions(),
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const shown = `cairn ${cliArgs.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
    if (r.error && r.error.code === 'ETIMEDOUT') {
      fail(`${shown}: no exit after ${timeoutMs / 1000} s (hang)`);
    }
    if (r.error) fail(`${shown}: cannot run: ${r.error.message}`);
    if (r.signal) fail(`${shown}: killed by signal ${r.signal} (crash)\n    stderr: ${tail(r.stderr)}`);
    if (args.verbose) console.log(`    ${shown}: exit ${r.status}, ${Math.round(ms)} ms`);
    return {status: r.status, stdout: r.stdout, stderr: r.stderr, ms, shown};
  }

  // Runs cairn with --json, requires exit 0 and returns the parsed document.
  json(cliArgs, opts) {
    const r = this.run([...cliArgs, '--json'], opts);
    if (r.status !== 0) fail(`${r.shown} --json: exit ${r.status}: ${tail(r.stderr || r.stdout)}`);
    try {
      const doc = JSON.parse(r.stdout);
      Object.defineProperty(doc, '_ms', {value: r.ms});
      return doc;
    } catch (e) {
      fail(`${r.shown} --json: not JSON: ${tail(r.stdout)}`);
    }
  }

  show(dataset) {
    return this.json(['dataset', 'show', dataset]);
  }

  verify() {
    const r = this.run(['store', 'verify', '--json']);
    let doc = null;
    try {
      doc = JSON.parse(r.stdout);
    } catch (e) {
      // Reported below.
    }
    return {status: r.status, doc, stdout: r.stdout, stderr: r.stderr};
  }

  // Every file under the store directory (temporary files included), or, on S3, the blob ids
  // `store verify` checked.
  objects() {
    if (this.storeDir) return listFiles(this.storeDir).map((f) => path.relative(this.storeDir, f));
    const v = this.verify();
    if (!v.doc) fail(`store verify --json: not JSON: ${tail(v.stdout || v.stderr)}`);
    return Array.from({length: v.doc.checked}, (_, i) => `#${i}`);
  }

  blobPath(id) {
    return path.join(this.storeDir, 'blobs', id.slice(0, 2), id.slice(2));
  }

  // The ids of the blobs in a directory store.
  blobIds() {
    const root = path.join(this.storeDir, 'blobs');
    return listFiles(root).map((f) => path.relative(root, f).split(path.sep).join(''))
        .filter((id) => /^[0-9a-f]{64}$/.test(id));
  }

  cleanup() {
    if (this.database) {
      try {
        psql(postgresAdmin, `DROP DATABASE IF EXISTS ${ident(this.database)} WITH (FORCE)`);
      } catch (e) {
        console.log(`# could not drop database ${this.database}: ${e.message}`);
      }
    }
    if (this.storeDir && process.env.CAIRN_STORE && !s3Root) {
      fs.rmSync(this.storeDir, {recursive: true, force: true});
    }
    if (this.env.CAIRN_CATALOG && !this.database) {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(this.env.CAIRN_CATALOG + suffix, {force: true});
    }
  }
}

function listFiles(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

// Starts cairn without waiting; resolves to {code, signal, stdout, stderr, ms} when it exits.
// With killAfterMs, sends SIGKILL after that many milliseconds unless it exited before. The
// promise's `child` is the process.
function startCairn(ws, cliArgs, {killAfterMs = null} = {}) {
  let child = null;
  const done = new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    child = spawn(args.cairn, cliArgs, {...ws.spawnOptions(), stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timer = null;
    if (killAfterMs !== null) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const hang = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(hang);
      resolve({code, signal, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6});
    });
  });
  done.child = child;
  return done;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Whether process `pid` has `file` open (Linux /proc); null when that cannot be seen.
function hasOpen(pid, file) {
  let fds;
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch (e) {
    return e.code === 'ENOENT' && fs.existsSync('/proc/self/fd') ? false : null;
  }
  return fds.some((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
    } catch (e) {
      return false;
    }
  });
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
// Records and the model of a dataset.
//
// A record is {key, frame, annotation, cap, lab, group, tags: {weather, camera, lane, speed,
// night, seen}} with times in microseconds and null for what is absent. Tag types: weather and
// camera strings, lane int64, speed float64 (always with a fraction, so that every writer keeps
// it a float), night bool, seen timestamp (only in Parquet inputs).

const TAGS = ['camera', 'lane', 'night', 'seen', 'speed', 'weather'];  // column (name) order

function rec(fields) {
  const tags = {};
  for (const t of TAGS) tags[t] = fields.tags && fields.tags[t] !== undefined ? fields.tags[t] : null;
  return {key: fields.key, frame: fields.frame, annotation: fields.annotation ?? null,
          cap: fields.cap, lab: fields.lab ?? null, group: fields.group ?? null, tags};
}

function relabel(r, changes) {
  return rec({...r, ...changes, tags: {...r.tags, ...(changes.tags || {})}});
}

// The identity of a version: equal records are one version, whatever their spelling.
function canon(r) {
  return JSON.stringify([r.key, r.frame, r.annotation, r.cap, r.lab, r.group,
                         ...TAGS.map((t) => r.tags[t])]);
}

// How DuckDB prints a record once normalized by normSql(): every value as text.
function expectedRow(r) {
  const s = (v) => (v === null ? null : String(v));
  return {key: r.key, frame: r.frame, annotation: r.annotation, cap: s(r.cap), lab: s(r.lab),
          group: r.group, camera: r.tags.camera, lane: s(r.tags.lane),
          night: s(r.tags.night), seen: s(r.tags.seen), speed: s(r.tags.speed),
          weather: r.tags.weather};
}

// What a dataset holds: every distinct version with the commit (sequence) and input row that
// stored it, and each commit's time.
class Model {
  constructor() {
    this.versions = new Map();  // canon -> {rec, seq, row}
    this.commitTime = new Map();  // seq -> microseconds
    this.head = 0;
  }

  // Classifies the valid rows of one input as new / unchanged / duplicate.
  classify(rows) {
    const seen = new Set();
    const fresh = [];
    let unchanged = 0;
    let duplicates = 0;
    rows.forEach((r, row) => {
      const c = canon(r);
      if (this.versions.has(c)) ++unchanged;
      else if (seen.has(c)) ++duplicates;
      else {
        seen.add(c);
        fresh.push({rec: r, row, canon: c});
      }
    });
    return {fresh, unchanged, duplicates};
  }

  commit(seq, timeUs, fresh) {
    for (const f of fresh) this.versions.set(f.canon, {rec: f.rec, seq, row: f.row});
    this.commitTime.set(seq, timeUs);
    this.head = Math.max(this.head, seq);
  }

  // The current version of every key as of commit `asOf`: greatest labeled_at (else the
  // commit's time), ties to the later commit, then to the later row.
  latest(asOf = Infinity) {
    const best = new Map();
    for (const v of this.versions.values()) {
      if (v.seq > asOf) continue;
      const t = v.rec.lab !== null ? v.rec.lab : this.commitTime.get(v.seq);
      const b = best.get(v.rec.key);
      if (!b || t > b.t || (t === b.t && (v.seq > b.seq || (v.seq === b.seq && v.row > b.row)))) {
        best.set(v.rec.key, {t, seq: v.seq, row: v.row, rec: v.rec});
      }
    }
    return new Map([...best].map(([k, b]) => [k, b.rec]));
  }
}

// Records an ingest that cairn reported: the commit's time comes from `dataset show`.
function applyIngest(ws, model, dataset, report, fresh) {
  if (report.commit === null) {
    expect(fresh.length === 0, `no commit although ${fresh.length} rows are new`);
    return;
  }
  const c = ws.show(dataset).commits.find((x) => x.id === report.commit);
  expect(c, `commit ${report.commit} is not listed by dataset show`);
  model.commit(c.sequence, parseIsoUs(c.created_at), fresh);
}

// --- Writers of the three input formats.

function jsonlLine(r, style) {
  const o = {key: r.key, frame: r.frame};
  if (r.annotation !== null) o.annotation = r.annotation;
  o.captured_at = spellTs(r.cap, style);
  if (r.lab !== null) o.labeled_at = spellTs(r.lab, style + 1);
  if (r.group !== null || style % 3 === 0) o.group = r.group;  // sometimes an explicit null
  const tags = {};
  for (const t of TAGS) if (r.tags[t] !== null) tags[t] = r.tags[t];
  if (tags.seen !== undefined) fail('seen is only written to Parquet inputs');
  if (style % 2 === 0) o.tags = tags;  // as an object
  else for (const [k, v] of Object.entries(tags)) o[`tags.${k}`] = v;  // as dotted names
  return JSON.stringify(o);
}

const CSV_TAGS = ['weather', 'camera', 'lane', 'speed', 'night'];
const CSV_HEADER = `key,frame,annotation,captured_at,labeled_at,group,${CSV_TAGS.map((t) => `tags.${t}`).join(',')}`;

function csvField(v) {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(r, style) {
  return [r.key, r.frame, r.annotation, spellTs(r.cap, style),
          r.lab === null ? null : spellTs(r.lab, style + 1), r.group,
          ...CSV_TAGS.map((t) => r.tags[t])].map(csvField).join(',');
}

// Writes `rows` as Parquet through DuckDB: captured_at TIMESTAMP (microseconds), labeled_at
// TIMESTAMP_MS, tags.seen TIMESTAMPTZ, tags.lane INTEGER, the others by their kind.
async function writeParquet(file, rows) {
  const staging = `${file}.staging.jsonl`;
  fs.writeFileSync(staging, rows.map((r) => JSON.stringify({
    key: r.key, frame: r.frame, annotation: r.annotation, cap: r.cap === null ? null : isoUs(r.cap),
    lab: r.lab === null ? null : isoUs(r.lab), grp: r.group, weather: r.tags.weather,
    camera: r.tags.camera, lane: r.tags.lane, speed: r.tags.speed, night: r.tags.night,
    seen: r.tags.seen === null ? null : isoUs(r.tags.seen),
  })).join('\n') + '\n');
  await q(`COPY (SELECT key, frame, annotation,
        CAST(CAST(cap AS TIMESTAMPTZ) AS TIMESTAMP) AS captured_at,
        CAST(CAST(CAST(lab AS TIMESTAMPTZ) AS TIMESTAMP) AS TIMESTAMP_MS) AS labeled_at,
        grp AS "group", weather AS "tags.weather", camera AS "tags.camera",
        CAST(lane AS INTEGER) AS "tags.lane", speed AS "tags.speed", night AS "tags.night",
        CAST(seen AS TIMESTAMPTZ) AS "tags.seen"
      FROM read_json(${lit(staging)}, format='newline_delimited', columns={key: 'VARCHAR',
        frame: 'VARCHAR', annotation: 'VARCHAR', cap: 'VARCHAR', lab: 'VARCHAR', grp: 'VARCHAR',
        weather: 'VARCHAR', camera: 'VARCHAR', lane: 'BIGINT', speed: 'DOUBLE',
        night: 'BOOLEAN', seen: 'VARCHAR'}))
      TO ${lit(file)} (FORMAT parquet)`);
  fs.rmSync(staging);
}

// --- Reading what cairn wrote, normalized to one row shape (see expectedRow) plus `version`.

// A SELECT list normalizing a relation whose columns are `cols` (name -> DuckDB type). Text
// formats give every value as text; Parquet gives typed columns.
function normSql(cols, rel) {
  const has = (c) => cols.has(c);
  const col = (c) => ident(c);
  const asText = (c) => (has(c) ? `CAST(${col(c)} AS VARCHAR)` : 'NULL');
  const asTime = (c) => {
    if (!has(c)) return 'NULL';
    const t = cols.get(c);
    const e = t === 'VARCHAR' ? `CAST(${col(c)} AS TIMESTAMPTZ)` : col(c);
    return `CAST(epoch_us(${e}) AS VARCHAR)`;
  };
  const asType = (c, type) => (has(c) ? `CAST(CAST(${col(c)} AS ${type}) AS VARCHAR)` : 'NULL');
  return `SELECT ${asText('key')} AS key, ${asText('frame')} AS frame,
      ${asText('annotation')} AS annotation, ${asTime('captured_at')} AS cap,
      ${asTime('labeled_at')} AS lab, ${asText('group')} AS "group",
      ${asText('tags.camera')} AS camera, ${asType('tags.lane', 'BIGINT')} AS lane,
      ${asType('tags.night', 'BOOLEAN')} AS night, ${asTime('tags.seen')} AS seen,
      ${asType('tags.speed', 'DOUBLE')} AS speed, ${asText('tags.weather')} AS weather,
      ${asText('version')} AS version${has('split') ? ', CAST(split AS VARCHAR) AS split' : ''}
      FROM ${rel}`;
}

async function columnsOf(rel) {
  const rows = await q(`DESCRIBE SELECT * FROM ${rel}`);
  return new Map(rows.map((r) => [r.column_name, r.column_type]));
}

// The rows of an exported table (parquet, csv or jsonl), normalized.
async function readExport(file, format) {
  let rel;
  if (format === 'parquet') {
    rel = `read_parquet(${lit(file)})`;
  } else if (format === 'csv') {
    rel = `read_csv(${lit(file)}, header=true, all_varchar=true, delim=',', quote='"', escape='"')`;
  } else if (format === 'jsonl') {
    // Tags are nested again on export; every value is read as text and cast like CSV's.
    const tagSpec = TAGS.map((t) => `${t} VARCHAR`).join(', ');
    rel = `(SELECT key, frame, annotation, captured_at, labeled_at, "group", version,
        ${TAGS.map((t) => `tags.${t} AS ${ident(`tags.${t}`)}`).join(', ')}
        FROM read_json(${lit(file)}, format='newline_delimited', columns={key: 'VARCHAR',
          frame: 'VARCHAR', annotation: 'VARCHAR', captured_at: 'VARCHAR', labeled_at: 'VARCHAR',
          "group": 'VARCHAR', version: 'VARCHAR', tags: 'STRUCT(${tagSpec})'}))`;
  } else {
    throw new Error(`unknown format ${format}`);
  }
  const cols = await columnsOf(rel);
  if (format !== 'parquet') for (const k of cols.keys()) cols.set(k, 'VARCHAR');
  return await q(normSql(cols, rel));
}

// Compares normalized rows read from cairn's output with the expected records (key -> record).
function compareRows(rows, expected, what) {
  const problems = [];
  const seen = new Set();
  for (const row of rows) {
    if (seen.has(row.key)) problems.push(`key ${row.key} appears twice`);
    seen.add(row.key);
    const r = expected.get(row.key);
    if (!r) {
      problems.push(`unexpected key ${row.key}`);
      continue;
    }
    const want = expectedRow(r);
    const got = {...row};
    delete got.version;
    delete got.split;
    const bad = Object.keys(want).filter((k) => got[k] !== want[k]);
    if (bad.length) {
      problems.push(`${row.key}: ${bad.map((k) => `${k} ${JSON.stringify(got[k])} != expected ` +
                                                   `${JSON.stringify(want[k])}`).join(', ')}`);
    }
  }
  const missing = [...expected.keys()].filter((k) => !seen.has(k));
  if (missing.length) problems.push(`${missing.length} keys missing, e.g. ${missing.slice(0, 3).join(', ')}`);
  expect(problems.length === 0, `${what}: ${problems.length} differences from the model:\n    ` +
         problems.slice(0, 6).join('\n    '));
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// Input data of the main dataset.
//
// 1000 keys in 40 drives (groups) plus keys without a group, captured every 45 minutes from
// 2021-06-01 (so the last ones fall in July), most labelled three days later, some never.

const JUNE = dayUs('2021-06-01T00:00:00Z');
const JULY = dayUs('2021-07-01T00:00:00Z');
const AUGUST = dayUs('2021-08-01T00:00:00Z');
const WEATHER = ['rain', 'sun', 'fog', 'snow'];

function baseRecord(i, rng) {
  const solo = i % 10 === 9;
  const drive = `d${String(i % 40).padStart(2, '0')}`;
  const key = solo ? `solo/${String(i).padStart(6, '0')}` : `${drive}/${String(i).padStart(6, '0')}`;
  const cap = JUNE + i * 2700 * US_PER_S + ((i * 7919) % US_PER_S);
  return rec({
    key,
    frame: i % 97 === 5 ? `s3://raw/${key},"x".jpg` : `s3://raw/${key}.jpg`,
    annotation: i % 11 === 3 ? null : `s3://labels/${key}.v1.json`,
    cap,
    lab: i % 7 === 2 ? null : cap + 3 * US_PER_DAY + rng.int(1000) * 1000,
    group: solo ? null : drive,
    tags: {
      weather: rng.pick(WEATHER),
      camera: i % 5 === 4 ? null : rng.pick(['front', 'rear']),
      lane: i % 13 === 6 ? null : rng.int(4),
      speed: rng.int(80) + rng.pick([0.5, 0.25, 0.75]),
      night: i % 17 === 8 ? null : rng() < 0.3,
    },
  });
}

// The filter used below, its canonical form (docs/filter.md) and its rule.
const WHERE = "tags.weather='rain' AND 2 <= tags.lane";
const WHERE_CANONICAL = "tags.weather = 'rain' and tags.lane >= 2";
const matches = (r) => r.tags.weather === 'rain' && r.tags.lane !== null && r.tags.lane >= 2;
const select = (latest, pred) => new Map([...latest].filter(([, r]) => pred(r)));
const SPLITS = 'train=0.8,val=0.1,test=0.1';
const SPLIT_NAMES = ['train', 'val', 'test'];

// The state shared by checks 1-8 (one workspace, one dataset, in order).
const S = {ws: null, model: new Model(), dataset: 'road_facing', records: new Map(), snaps: {}};

// ---------------------------------------------------------------------------------------------
// 1. Workspace and datasets.

async function datasets() {
  await check('1 init creates the workspace', async () => {
    S.ws = new Workspace('main');
    const doc = S.ws.init();
    expect(fs.existsSync(path.join(S.ws.dir, '.cairn')), 'no .cairn directory');
    expect(doc.root === S.ws.dir, `root ${doc.root}, expected ${S.ws.dir}`);
    return S.ws.describe();
  });
  await check('1 dataset create, list and show of an empty dataset', async () => {
    const d = S.ws.json(['dataset', 'create', S.dataset, '--description', 'front camera frames']);
    expectEq(d, {dataset: S.dataset, created: true}, 'dataset create --json');
    const list = S.ws.json(['dataset', 'list']);
    expectEq(list.map((x) => [x.name, x.description, x.commits, x.versions]),
             [[S.dataset, 'front camera frames', 0, 0]], 'dataset list');
    const show = S.ws.show(S.dataset);
    expectEq([show.versions, show.keys, show.commits.length], [0, 0, 0], 'versions, keys, commits');
  });
  await check('1 creating a dataset twice exits 1 naming it', async () => {
    const r = S.ws.run(['dataset', 'create', S.dataset]);
    expect(r.status === 1, `exit ${r.status}, expected 1`);
    expect(/already exists/.test(r.stderr) && r.stderr.includes(S.dataset),
           `message does not say that '${S.dataset}' already exists: ${tail(r.stderr)}`);
    expectEq(S.ws.json(['dataset', 'list']).length, 1, 'datasets after the failed create');
  });
  await check('1 a bad dataset name exits 2', async () => {
    for (const name of ['bad name', 'a/b', '']) {
      const r = S.ws.run(['dataset', 'create', name]);
      expect(r.status === 2, `'${name}': exit ${r.status}, expected 2 (${tail(r.stderr)})`);
      expect(/cairn: error:/.test(r.stderr), `'${name}': no error message: ${tail(r.stderr)}`);
    }
    expectEq(S.ws.json(['dataset', 'list']).length, 1, 'datasets after the failed creates');
  });
}

// ---------------------------------------------------------------------------------------------
// 2-3. JSON Lines ingest with bad rows, then the same file again.

async function jsonlIngest() {
  const rng = makeRng(1);
  const file = W('june.jsonl');
  const lines = [];
  const valid = [];  // valid rows in input order
  const rejects = [];  // {line, field, key}
  for (let i = 0; i < 1000; ++i) {
    const r = baseRecord(i, rng);
    S.records.set(r.key, r);
    lines.push(jsonlLine(r, i));
    valid.push(r);
    // Rows repeated within the input are stored once.
    if (i === 100 || i === 500 || i === 501) {
      lines.push(jsonlLine(r, i + 1));
      valid.push(r);
    }
  }
  // Keys whose bytewise order is not their order in UTF-16 or in a collation.
  ['Zeta/1', 'alpha/1', '\u00e9t\u00e9/1', '\u65e5\u672c/1', '\u{1f389}/1', '\uff21/1'].forEach((key, k) => {
    const r = relabel(baseRecord(1100 + k, rng), {key, frame: `s3://raw/${key}.jpg`, group: null});
    S.records.set(r.key, r);
    lines.push(jsonlLine(r, k));
    valid.push(r);
  });
  const cap = spellTs(JUNE + 3600 * US_PER_S, 0);
  const bad = [
    [{frame: 'f', captured_at: cap}, 'key', null],
    [{key: '', frame: 'f', captured_at: cap}, 'key', null],
    [{key: 'bad/frame', frame: '', captured_at: cap}, 'frame', 'bad/frame'],
    [{key: 'bad/noframe', captured_at: cap}, 'frame', 'bad/noframe'],
    [{key: 'bad/captured', frame: 'f', captured_at: 'yesterday'}, 'captured_at', 'bad/captured'],
    [{key: 'bad/nocapture', frame: 'f'}, 'captured_at', 'bad/nocapture'],
    [{key: 'bad/labeled', frame: 'f', captured_at: cap, labeled_at: '2021-13-45'}, 'labeled_at', 'bad/labeled'],
    [{key: 'bad\nline', frame: 'f', captured_at: cap}, 'key', null],
  ];
  bad.forEach(([o, field, key], k) => {
    const at = 40 + k * 97;  // spread through the file
    lines.splice(at, 0, JSON.stringify(o));
    rejects.push({at, field, key});
  });
  // Lines are 1-based; insertions shift the later ones.
  rejects.forEach((r) => (r.line = r.at + 1));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const {fresh, unchanged, duplicates} = S.model.classify(valid);

  await check('2 ingest JSONL with bad rows: counts, rejects file, valid rows committed', async () => {
    const rep = S.ws.json(['ingest', S.dataset, '--from', file]);
    expectEq({rows_read: rep.rows_read, rejected: rep.rejected, out_of_window: rep.out_of_window,
              duplicates: rep.duplicates, unchanged: rep.unchanged, new_versions: rep.new_versions},
             {rows_read: lines.length, rejected: bad.length, out_of_window: 0, duplicates,
              unchanged, new_versions: fresh.length}, 'ingest counts');
    expect(typeof rep.commit === 'string' && /^[0-9a-f]{64}$/.test(rep.commit),
           `commit ${rep.commit} is not a SHA-256`);
    expectEq(rep.sequence, 1, 'sequence');
    const got = expectRejects(`${file}.rejects.jsonl`, file, rejects);
    expect(/yesterday/.test(got[4].reason), `reason of the bad captured_at does not quote it: ${got[4].reason}`);
    const sum = Object.values(rep.reject_reasons).reduce((a, b) => a + b, 0);
    expectEq(sum, bad.length, 'sum of reject_reasons');
    applyIngest(S.ws, S.model, S.dataset, rep, fresh);
    const show = S.ws.show(S.dataset);
    expectEq([show.versions, show.keys, show.commits.length, show.commits[0].versions],
             [fresh.length, S.model.latest().size, 1, fresh.length], 'versions, keys, commits');
    const groups = new Set(fresh.map((f) => f.rec.group).filter((g) => g !== null));
    expectEq(show.groups, groups.size, 'groups');
    return `${rep.rows_read} rows, ${rep.rejected} rejected, ${rep.new_versions} new, ${Math.round(rep._ms)} ms`;
  });

  await check('3 the same JSONL again writes nothing', async () => {
    const before = S.ws.objects();
    const commitsBefore = S.ws.show(S.dataset).commits.length;
    // A row already stored counts as unchanged, even when the input repeats it.
    const again = S.model.classify(valid);
    expectEq([again.fresh.length, again.unchanged, again.duplicates], [0, valid.length, 0], 'model');
    const rep = S.ws.json(['ingest', S.dataset, '--from', file]);
    expectEq([rep.new_versions, rep.commit, rep.sequence, rep.rejected, rep.unchanged, rep.duplicates],
             [0, null, null, bad.length, valid.length, 0],
             'new_versions, commit, sequence, rejected, unchanged, duplicates');
    expectEq(S.ws.show(S.dataset).commits.length, commitsBefore, 'commit count');
    expectEq(S.ws.objects(), before, 'files under the store');
  });
}

// ---------------------------------------------------------------------------------------------
// 4. CSV and Parquet into the same dataset, re-labels, a filtered and split snapshot, exports.

// Checks a rejects file: one JSON object per rejected row, in input order, with the source,
// the line (text formats) or row (Parquet), the key when the row has one, the field and a
// reason.
function expectRejects(file, source, want) {
  expect(fs.existsSync(file), `no rejects file ${file}`);
  const got = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expectEq(got.length, want.length, `lines of ${path.basename(file)}`);
  got.forEach((g, k) => {
    const w = want[k];
    const where = w.line !== undefined ? 'line' : 'row';
    expect(g.source === source, `reject ${k}: source ${g.source}, expected ${source}`);
    expect(g[where] === w[where] && g.field === w.field,
           `reject ${k}: ${where} ${g[where]} field ${g.field}, expected ${where} ${w[where]} field ${w.field}`);
    if (w.key !== null) expect(g.key === w.key, `reject ${k}: key ${g.key}, expected ${w.key}`);
    expect(typeof g.reason === 'string' && g.reason.length > 0, `reject ${k}: no reason`);
  });
  return got;
}

// Re-labels of `olds` (records): a new annotation and new tags, labelled later, earlier, at the
// same time as the old version, or not at all (then the commit's time counts).
function relabels(rng, olds, startAnnotation) {
  return olds.map((old, k) => {
    const kind = k % 4;
    let lab;
    if (kind === 0) lab = (old.lab ?? old.cap) + 10 * US_PER_DAY;  // later: wins unless the old one is unlabelled
    else if (kind === 1) lab = old.lab === null ? old.cap : old.lab - US_PER_DAY;  // older: loses
    else if (kind === 2) lab = old.lab;  // the same time: the later commit wins
    else lab = null;  // unlabelled: the commit's time, later than any 2021 label
    return relabel(old, {annotation: `s3://labels/${old.key}.${startAnnotation + k}.json`, lab,
                         tags: {weather: rng.pick(WEATHER), lane: rng.int(4)}});
  });
}

async function csvAndParquet() {
  const rng = makeRng(4);
  const csvFile = W('july.csv');
  const pqFile = W('july.parquet');
  const csvRows = [];
  for (let i = 1000; i < 1300; ++i) csvRows.push(baseRecord(i, rng));
  const keys = [...S.records.keys()];
  csvRows.push(...relabels(rng, keys.filter((_, k) => k % 7 === 1).map((k) => S.records.get(k)), 100));
  // Two rows of one key with the same labeled_at in one input: the later row wins.
  for (const key of keys.filter((_, k) => k % 151 === 3)) {
    const old = S.records.get(key);
    const lab = (old.lab ?? old.cap) + 20 * US_PER_DAY;
    csvRows.push(relabel(old, {annotation: `s3://labels/${key}.first.json`, lab, tags: {weather: 'sun'}}));
    csvRows.push(relabel(old, {annotation: `s3://labels/${key}.second.json`, lab, tags: {weather: 'rain', lane: 3}}));
  }
  // Rows equal to stored versions (an empty cell is an absent tag): not new.
  for (const key of keys.filter((_, k) => k % 50 === 7)) csvRows.push(S.records.get(key));
  csvRows[5].frame = `s3://raw/two\nlines, "quoted".jpg`;  // a field over two lines
  const csvEntries = csvRows.map((r, k) => csvLine(r, k));
  const csvRejects = [
    {at: 60, key: 'bad/csv-captured', field: 'captured_at', text: 'bad/csv-captured,f,,June 3rd,,,,,,,'},
    {at: 240, key: 'bad/csv-labeled', field: 'labeled_at', text: 'bad/csv-labeled,f,,2021-06-03T00:00:00Z,soon,,,,,,'},
  ];
  for (const b of csvRejects) csvEntries.splice(b.at, 0, b.text);
  // The line each record starts on: the header is line 1, and a quoted line break counts.
  for (const b of csvRejects) {
    b.line = 2 + csvEntries.slice(0, b.at).reduce((n, e) => n + 1 + (e.match(/\n/g) || []).length, 0);
  }
  fs.writeFileSync(csvFile, [CSV_HEADER, ...csvEntries].join('\n') + '\n');

  const pqRows = [];
  for (let i = 1300; i < 1600; ++i) {
    const r = baseRecord(i, rng);
    if (r.lab !== null) r.lab = Math.floor(r.lab / 1000) * 1000;  // TIMESTAMP_MS
    if (i % 3 !== 0) r.tags.seen = r.cap + rng.int(3600) * US_PER_S + 250000;
    pqRows.push(r);
  }
  const olds = [...keys.filter((_, k) => k % 9 === 4).map((k) => S.records.get(k)),
                ...csvRows.slice(0, 300).filter((_, k) => k % 10 === 0)];
  for (const r of relabels(rng, olds, 500)) {
    if (r.lab !== null) r.lab = Math.floor(r.lab / 1000) * 1000 + 1000;
    r.tags.seen = r.cap;
    pqRows.push(r);
  }

  await check('4 ingest CSV (quoted fields, re-labels, rows already stored)', async () => {
    const {fresh, unchanged, duplicates} = S.model.classify(csvRows);
    const rep = S.ws.json(['ingest', S.dataset, '--from', csvFile, '-m', 'july csv']);
    expectEq([rep.rows_read, rep.rejected, rep.unchanged, rep.duplicates, rep.new_versions],
             [csvEntries.length, csvRejects.length, unchanged, duplicates, fresh.length],
             'rows_read, rejected, unchanged, duplicates, new_versions');
    expectRejects(`${csvFile}.rejects.jsonl`, csvFile, csvRejects.map((b) => ({line: b.line, key: b.key, field: b.field})));
    applyIngest(S.ws, S.model, S.dataset, rep, fresh);
    for (const r of csvRows.slice(0, 300)) S.records.set(r.key, r);
    const show = S.ws.show(S.dataset);
    expectEq([show.versions, show.keys], [S.model.versions.size, S.model.latest().size], 'versions, keys');
    expectEq(show.commits.find((c) => c.id === rep.commit).message, 'july csv', 'commit message');
    return `${rep.new_versions} new, ${rep.unchanged} unchanged`;
  });

  await check('4 ingest Parquet written by DuckDB (timestamp columns, int32, bool, float tags)', async () => {
    // Row 11 has no captured_at.
    const pqAll = [...pqRows.slice(0, 10), rec({key: 'bad/parquet', frame: 'f', cap: null}), ...pqRows.slice(10)];
    await writeParquet(pqFile, pqAll);
    const {fresh, unchanged} = S.model.classify(pqRows);
    const rep = S.ws.json(['ingest', S.dataset, '--from', pqFile]);
    expectEq([rep.rows_read, rep.rejected, rep.unchanged, rep.new_versions],
             [pqAll.length, 1, unchanged, fresh.length], 'rows_read, rejected, unchanged, new_versions');
    expectRejects(`${pqFile}.rejects.jsonl`, pqFile, [{row: 11, key: 'bad/parquet', field: 'captured_at'}]);
    applyIngest(S.ws, S.model, S.dataset, rep, fresh);
    for (const r of pqRows.slice(0, 300)) S.records.set(r.key, r);
    const show = S.ws.show(S.dataset);
    expectEq([show.versions, show.keys], [S.model.versions.size, S.model.latest().size], 'versions, keys');
    // Timestamps are stored in microseconds whatever the input's unit.
    const types = Object.fromEntries(show.tags.map((t) => [t.name, t.type]));
    expectEq(types, {'tags.camera': 'string', 'tags.lane': 'int64', 'tags.night': 'bool',
                     'tags.seen': 'timestamp[us]', 'tags.speed': 'float64', 'tags.weather': 'string'},
             'tag types');
    return `${rep.new_versions} new`;
  });

  await check('4 a tag of another type or an unknown column fails the whole file, storing nothing', async () => {
    const before = S.ws.objects();
    const commits = S.ws.show(S.dataset).commits.length;
    const clash = W('clash.jsonl');
    fs.writeFileSync(clash, [
      '{"key":"clash/1","frame":"f","captured_at":"2021-06-05T00:00:00Z","tags":{"weather":"sun"}}',
      '{"key":"clash/2","frame":"f","captured_at":"2021-06-05T00:00:00Z","tags":{"lane":"two"}}',
    ].join('\n') + '\n');
    const r1 = S.ws.run(['ingest', S.dataset, '--from', clash]);
    expect(r1.status === 1 && /tags\.lane/.test(r1.stderr),
           `tag type clash: exit ${r1.status}, expected 1 naming tags.lane: ${tail(r1.stderr)}`);
    const unknown = W('unknown-column.csv');
    fs.writeFileSync(unknown, 'key,frame,captured_at,weather\nu/1,f,2021-06-05,rain\n');
    const r2 = S.ws.run(['ingest', S.dataset, '--from', unknown]);
    expect(r2.status === 1 && /weather/.test(r2.stderr),
           `unknown column: exit ${r2.status}, expected 1 naming it: ${tail(r2.stderr)}`);
    expectEq(S.ws.show(S.dataset).commits.length, commits, 'commits');
    expectEq(S.ws.objects(), before, 'files under the store');
  });

  // A snapshot without a filter checks dedup and splits on their own.
  await check('4 snapshot of all keys: the latest version of each, split 0.8/0.1/0.1', async () => {
    const snap = S.ws.json(['snapshot', 'create', S.dataset, '--split', SPLITS, '--seed', '7']);
    await expectSnapshot(snap, S.model.latest(), {formats: ['parquet']});
    S.snaps.all = snap;
    return `${snap.rows} keys: ${snap.splits.map((s) => `${s.name}=${s.rows}`).join(' ')}`;
  });

  await check(`4 snapshot --where "${WHERE}" --split ${SPLITS} --seed 7, exported 4 ways`, async () => {
    const latest = S.model.latest();
    const want = select(latest, matches);
    // The superseded versions that would match must not leak in.
    const leaks = [...S.model.versions.values()].filter((v) => matches(v.rec) && !want.has(v.rec.key));
    expect(leaks.length > 0, 'the data has no superseded matching version (test data problem)');
    const snap = S.ws.json(['snapshot', 'create', S.dataset, '--where', WHERE, '--split', SPLITS,
                            '--seed', '7', '--description', 'rainy, lanes 2+']);
    expectEq([snap.created, snap.seed, snap.split_by, snap.where], [true, 7, 'group', WHERE_CANONICAL],
             'created, seed, split_by, where');
    await expectSnapshot(snap, want, {formats: ['parquet', 'csv', 'jsonl', 'txt']});
    S.snaps.where = snap;
    return `${snap.rows} of ${latest.size} keys, ${leaks.length} superseded matches kept out`;
  });
}

// Checks a snapshot against the expected selection (key -> record): per split, the exports in
// `formats` hold exactly the selected versions, splits are disjoint and cover the selection,
// no group straddles two splits, and the txt key list is the sorted parquet key set.
async function expectSnapshot(snap, want, {formats}) {
  expect(/^[0-9a-f]{64}$/.test(snap.id), `snapshot id ${snap.id}`);
  expectEq(snap.splits.map((s) => s.name), SPLIT_NAMES, 'split names');
  const splitOf = new Map();
  const versions = new Map();
  for (const sp of snap.splits) {
    const rowsByFormat = {};
    for (const fmt of formats) {
      const out = W(`${snap.id.slice(0, 12)}-${sp.name}.${fmt}`);
      const e = S.ws.json(['snapshot', 'export', snap.id.slice(0, 10), '--split', sp.name, '-o', out]);
      expectEq([e.snapshot, e.split, e.format, e.rows], [snap.id, sp.name, fmt, sp.rows],
               `export ${sp.name} ${fmt}`);
      if (fmt === 'txt') {
        const text = fs.readFileSync(out);
        const keys = text.length ? text.toString('utf8').replace(/\n$/, '').split('\n') : [];
        expect(text.length === 0 || text[text.length - 1] === 0x0a, `${sp.name}.txt does not end with a newline`);
        const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expectEq(keys.length, sp.rows, `${sp.name}.txt lines`);
        expect(keys.every((k, i) => k === sorted[i]), `${sp.name}.txt is not sorted bytewise`);
        rowsByFormat.txt = keys;
        continue;
      }
      const rows = await readExport(out, fmt);
      compareRows(rows, new Map(rows.map((r) => [r.key, want.get(r.key)]).filter(([, r]) => r)),
                  `${sp.name}.${fmt}`);
      expect(rows.every((r) => want.has(r.key)),
             `${sp.name}.${fmt} holds keys outside the expected selection, e.g. ` +
             `${rows.filter((r) => !want.has(r.key)).slice(0, 3).map((r) => r.key).join(', ')}`);
      expect(rows.every((r) => /^[0-9a-f]{32}$/.test(r.version)), `${sp.name}.${fmt}: bad version`);
      rowsByFormat[fmt] = rows;
    }
    const ref = rowsByFormat.parquet;
    expectEq(ref.length, sp.rows, `${sp.name} rows`);
    const refKeys = ref.map((r) => r.key);
    expect(refKeys.every((k, i) => i === 0 || Buffer.compare(Buffer.from(refKeys[i - 1]), Buffer.from(k)) < 0),
           `${sp.name}.parquet is not sorted by key`);
    for (const fmt of formats.filter((f) => f !== 'parquet')) {
      const other = fmt === 'txt' ? rowsByFormat.txt : rowsByFormat[fmt].map((r) => r.key);
      expectEq(other, refKeys, `${sp.name}: keys of ${fmt} vs parquet`);
      if (fmt !== 'txt') {
        expectEq(rowsByFormat[fmt].map((r) => r.version), ref.map((r) => r.version),
                 `${sp.name}: versions of ${fmt} vs parquet`);
      }
    }
    for (const r of ref) {
      expect(!splitOf.has(r.key), `key ${r.key} is in both ${splitOf.get(r.key)} and ${sp.name}`);
      splitOf.set(r.key, sp.name);
      versions.set(r.key, r.version);
    }
  }
  const missing = [...want.keys()].filter((k) => !splitOf.has(k));
  expect(missing.length === 0, `${missing.length} selected keys are in no split, e.g. ${missing.slice(0, 3)}`);
  expectEq(snap.rows, want.size, 'snapshot rows');
  // A group (or, without one, the key) decides the split.
  const byValue = new Map();
  for (const [key, split] of splitOf) {
    const v = want.get(key).group ?? `key:${key}`;
    if (!byValue.has(v)) byValue.set(v, new Set());
    byValue.get(v).add(split);
  }
  const straddling = [...byValue].filter(([, s]) => s.size > 1);
  expect(straddling.length === 0, `groups in several splits: ${straddling.slice(0, 3).map(([g, s]) => `${g}: ${[...s]}`).join('; ')}`);
  snap.splitOf = splitOf;
  snap.versions = versions;
}

// ---------------------------------------------------------------------------------------------
// 5. The same snapshot again, list, show, then diff after re-labels and new keys.

async function snapshotsAgain() {
  await check('5 the same snapshot again: same id, created false, nothing stored', async () => {
    const first = S.snaps.where;
    expect(first, 'no snapshot from check 4');
    const before = S.ws.objects();
    const again = S.ws.json(['snapshot', 'create', S.dataset, '--where', WHERE_CANONICAL, '--split', SPLITS,
                             '--seed', '7', '--description', 'another description']);
    expectEq([again.id, again.created, again.description], [first.id, false, 'rainy, lanes 2+'],
             'id, created, description');
    expectEq(S.ws.objects(), before, 'files under the store');
  });

  await check('5 snapshot list and show (by id prefix)', async () => {
    const first = S.snaps.where;
    expect(first && S.snaps.all, 'no snapshots from check 4');
    const list = S.ws.json(['snapshot', 'list', S.dataset]);
    const ids = list.map((s) => s.id);
    expect(ids.includes(first.id) && ids.includes(S.snaps.all.id),
           `snapshot list lacks the snapshots: ${ids.join(', ')}`);
    expectEq(new Set(ids).size, ids.length, 'distinct ids in the list');
    const show = S.ws.json(['snapshot', 'show', first.id.slice(0, 8)]);
    expectEq([show.id, show.dataset, show.seed, show.rows, show.splits.map((s) => [s.name, s.fraction, s.rows])],
             [first.id, S.dataset, 7, first.rows, first.splits.map((s) => [s.name, s.fraction, s.rows])],
             'snapshot show');
    const r = S.ws.run(['snapshot', 'show', 'ffffffffffff']);
    expect(r.status === 1 && r.stderr.length > 0, `unknown id: exit ${r.status}, ${tail(r.stderr)}`);
  });

  await check('5 re-labels and new keys: snapshot diff counts, no example moves split', async () => {
    const first = S.snaps.where;
    expect(first && first.splitOf, 'no snapshot from check 4');
    const rng = makeRng(5);
    const latest = S.model.latest();
    const selected = [...select(latest, matches).keys()];
    const unselected = [...latest.keys()].filter((k) => !matches(latest.get(k)));
    const rows = [];
    const upd = (key, tags, k) => {
      const old = latest.get(key);
      // Half unlabelled (the commit's time wins), half labelled after everything so far.
      const lab = k % 2 ? null : dayUs('2021-10-01T00:00:00Z') + k * US_PER_S;
      rows.push(relabel(old, {annotation: `s3://labels/${key}.diff${k}.json`, lab, tags: {seen: null, ...tags}}));
    };
    selected.slice(0, 20).forEach((key, k) => upd(key, {weather: 'sun'}, k));  // leave
    selected.slice(20, 40).forEach((key, k) => upd(key, {weather: 'rain', lane: 3}, k));  // change
    unselected.slice(0, 30).forEach((key, k) => upd(key, {weather: 'rain', lane: 2}, k));  // enter
    for (let i = 2000; i < 2060; ++i) rows.push(baseRecord(i, rng));  // new keys, some match
    const file = W('relabel.jsonl');
    fs.writeFileSync(file, rows.map((r, k) => jsonlLine(r, k)).join('\n') + '\n');
    const {fresh} = S.model.classify(rows);
    const rep = S.ws.json(['ingest', S.dataset, '--from', file]);
    expectEq(rep.new_versions, fresh.length, 'new_versions');
    applyIngest(S.ws, S.model, S.dataset, rep, fresh);

    const want = select(S.model.latest(), matches);
    const a = new Map([...first.splitOf].map(([k]) => [k, canon(latest.get(k))]));
    const b = new Map([...want].map(([k, r]) => [k, canon(r)]));
    const exp = {added: 0, removed: 0, changed: 0, same: 0};
    for (const [k, v] of a) {
      if (!b.has(k)) ++exp.removed;
      else if (b.get(k) !== v) ++exp.changed;
      else ++exp.same;
    }
    for (const k of b.keys()) if (!a.has(k)) ++exp.added;
    expect(exp.added > 0 && exp.removed > 0 && exp.changed > 0, `test data: ${JSON.stringify(exp)}`);

    const second = S.ws.json(['snapshot', 'create', S.dataset, '--where', WHERE, '--split', SPLITS, '--seed', '7']);
    expect(second.id !== first.id && second.created === true, `second snapshot: ${second.id} created ${second.created}`);
    await expectSnapshot(second, want, {formats: ['parquet', 'txt']});
    const moved = [...first.splitOf].filter(([k, s]) => second.splitOf.has(k) && second.splitOf.get(k) !== s);
    expect(moved.length === 0, `${moved.length} keys moved split: ${moved.slice(0, 3).map(([k]) => k)}`);
    const d = S.ws.json(['snapshot', 'diff', first.id.slice(0, 12), second.id.slice(0, 12)]);
    expectEq({added: d.added, removed: d.removed, changed: d.changed, same: d.same, moved: d.moved},
             {...exp, moved: 0}, 'snapshot diff');
    expectEq([d.from, d.to], [first.id, second.id], 'diff from, to');
    S.snaps.second = second;
    return `added ${d.added}, removed ${d.removed}, changed ${d.changed}, same ${d.same}`;
  });

  await check('5 an exported split ingested again writes nothing', async () => {
    const second = S.snaps.second;
    expect(second, 'no snapshot from the previous check');
    const out = W('export-train.parquet');
    S.ws.json(['snapshot', 'export', second.id, '--split', 'train', '-o', out]);
    const rep = S.ws.json(['ingest', S.dataset, '--from', out]);
    expectEq([rep.rows_read, rep.rejected, rep.unchanged, rep.new_versions, rep.commit],
             [second.splits[0].rows, 0, second.splits[0].rows, 0, null],
             'rows_read, rejected, unchanged, new_versions, commit');
    return `${rep.rows_read} rows read`;
  });
}

// ---------------------------------------------------------------------------------------------
// 6. Windowed ingest.

async function windowed() {
  await check('6 ingest --window 2021-07-01..2021-08-01 leaves data outside the window alone', async () => {
    const rng = makeRng(6);
    const latest = S.model.latest();
    const keys = [...latest.keys()];
    const inside = keys.filter((k) => latest.get(k).cap >= JULY && latest.get(k).cap < AUGUST);
    const outside = keys.filter((k) => latest.get(k).cap < JULY);
    expect(inside.length >= 30 && outside.length >= 30, `test data: ${inside.length} keys in July`);
    const rows = [];
    const lab = dayUs('2021-11-01T00:00:00Z');
    // JSON Lines cannot carry the timestamp tag: re-labels drop it.
    const update = (key, k, lab) => relabel(latest.get(key), {annotation: `s3://labels/${key}.w${k}.json`,
                                                              lab, tags: {seen: null}});
    inside.slice(0, 30).forEach((key, k) => rows.push(update(key, k, lab + k)));
    outside.slice(0, 40).forEach((key, k) => rows.push(update(key, k, null)));  // would win
    inside.slice(30).filter((key) => latest.get(key).tags.seen === null).slice(0, 10)
        .forEach((key) => rows.push(latest.get(key)));  // already stored
    for (let i = 0; i < 50; ++i) {
      const r = baseRecord(3000 + i, rng);
      r.cap = JULY + i * 3600 * US_PER_S;  // July: in the window
      rows.push(r);
    }
    for (let i = 0; i < 20; ++i) {
      const r = baseRecord(3100 + i, rng);
      r.cap = AUGUST + i * US_PER_S;  // the end is exclusive
      if (i === 0) r.cap = AUGUST;
      rows.push(r);
    }
    const edge = baseRecord(3200, rng);
    edge.cap = JULY;  // the start is inclusive
    rows.push(edge);
    const file = W('window.jsonl');
    fs.writeFileSync(file, rows.map((r, k) => jsonlLine(r, k)).join('\n') + '\n');
    const inWindow = rows.filter((r) => r.cap >= JULY && r.cap < AUGUST);
    const {fresh, unchanged} = S.model.classify(inWindow);
    const before = S.model.head;
    const rep = S.ws.json(['ingest', S.dataset, '--from', file, '--window', '2021-07-01..2021-08-01']);
    expectEq([rep.rows_read, rep.out_of_window, rep.unchanged, rep.new_versions],
             [rows.length, rows.length - inWindow.length, unchanged, fresh.length],
             'rows_read, out_of_window, unchanged, new_versions');
    applyIngest(S.ws, S.model, S.dataset, rep, fresh);
    S.beforeWindow = before;

    const again = S.ws.json(['ingest', S.dataset, '--from', file, '--window', '2021-07-01..2021-08-01']);
    expectEq([again.new_versions, again.commit, again.out_of_window, again.unchanged],
             [0, null, rows.length - inWindow.length, inWindow.length], 'the same window again');

    // Every key's current version, those of June included, is what the model says.
    const snap = S.ws.json(['snapshot', 'create', S.dataset]);
    const out = W('after-window.parquet');
    S.ws.json(['snapshot', 'export', snap.id, '-o', out]);
    const got = await readExport(out, 'parquet');
    const n = compareRows(got, S.model.latest(), 'after the window');
    const txt = W('after-window.txt');
    S.ws.json(['snapshot', 'export', snap.id, '-o', txt]);
    const listed = fs.readFileSync(txt, 'utf8').replace(/\n$/, '').split('\n');
    const sorted = got.map((r) => r.key).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expectEq(listed, sorted, 'the key list: every key, sorted bytewise');
    const june = new Map(got.map((r) => [r.key, r]));
    const untouched = outside.slice(0, 40).filter((k) => june.get(k).annotation === latest.get(k).annotation);
    expectEq(untouched.length, 40, 'June keys keeping their version');
    return `${rep.new_versions} new, ${rep.out_of_window} out of window, ${n} keys checked`;
  });

  await check('6 snapshot --as-of the commit before the window', async () => {
    expect(S.beforeWindow, 'no windowed ingest');
    const c = S.ws.show(S.dataset).commits.find((x) => x.sequence === S.beforeWindow);
    const snap = S.ws.json(['snapshot', 'create', S.dataset, '--as-of', c.id.slice(0, 12)]);
    expectEq([snap.as_of_commit, snap.as_of_sequence], [c.id, c.sequence], 'as_of');
    const out = W('as-of.parquet');
    S.ws.json(['snapshot', 'export', snap.id, '-o', out]);
    const n = compareRows(await readExport(out, 'parquet'), S.model.latest(S.beforeWindow), 'as of');
    // A time means the last commit made at or before it.
    const at = S.model.commitTime.get(S.beforeWindow);
    const byTime = S.ws.json(['snapshot', 'create', S.dataset, '--as-of', isoUs(at)]);
    expectEq([byTime.as_of_sequence, byTime.id], [S.beforeWindow, snap.id], '--as-of its commit time');
    const before = S.ws.json(['snapshot', 'create', S.dataset, '--as-of', isoUs(at - 1)]);
    expectEq(before.as_of_sequence, S.beforeWindow - 1, '--as-of a microsecond earlier: as_of_sequence');
    return `${n} keys`;
  });

  await check('6 segment blobs hold exactly the stored versions', async () => {
    if (!S.ws.storeDir) return 'skipped: the store is S3';
    const snapObjects = new Set();
    for (const s of S.ws.json(['snapshot', 'list'])) for (const sp of s.splits) snapObjects.add(sp.versions_object);
    const segments = S.ws.blobIds().filter((id) => !snapObjects.has(id)).filter((id) => {
      const b = fs.readFileSync(S.ws.blobPath(id));
      return b.length > 8 && b.subarray(0, 4).toString() === 'PAR1';
    });
    const show = S.ws.show(S.dataset);
    const expectedSegments = show.commits.reduce((a, c) => a + c.segments, 0);
    expectEq(segments.length, expectedSegments, 'Parquet blobs that are not snapshot tables');
    const files = segments.map((id) => lit(S.ws.blobPath(id))).join(', ');
    const rel = `read_parquet([${files}], union_by_name=true)`;
    const rows = await q(normSql(await columnsOf(rel), rel));
    expectEq(rows.length, S.model.versions.size, 'rows in all segments');
    const byCanon = new Map();
    for (const row of rows) {
      const c = JSON.stringify([row.key, row.frame, row.annotation, Number(row.cap),
                                row.lab === null ? null : Number(row.lab), row.group,
                                ...TAGS.map((t) => {
                                  const v = row[t];
                                  if (v === null) return null;
                                  if (t === 'lane' || t === 'seen' || t === 'speed') return Number(v);
                                  if (t === 'night') return v === 'true';
                                  return v;
                                })]);
      expect(!byCanon.has(c), `a version is stored twice: ${c}`);
      byCanon.set(c, row.version);
    }
    const missing = [...S.model.versions.keys()].filter((c) => !byCanon.has(c));
    expect(missing.length === 0, `${missing.length} versions not in any segment, e.g. ${missing[0]}`);
    const versions = new Set(byCanon.values());
    expectEq(versions.size, byCanon.size, 'distinct version hashes');
    // The versions the snapshots selected are the versions stored for those records.
    const snap = S.snaps.second;
    if (snap && snap.versions) {
      const latest = S.model.latest(snap.as_of_sequence);
      const bad = [...snap.versions].filter(([k, v]) => byCanon.get(canon(latest.get(k))) !== v);
      expect(bad.length === 0, `${bad.length} exported versions differ from the segment's, e.g. ${bad[0]}`);
    }
    return `${segments.length} segments, ${rows.length} versions`;
  });
}

// ---------------------------------------------------------------------------------------------
// 7. Filter errors.

async function filterErrors() {
  S.snapCount = S.ws ? S.ws.json(['snapshot', 'list', S.dataset]).length : 0;
  await check('7 a filter syntax error exits 2 and shows where', async () => {
    const text = 'tags.weather = ';
    const r = S.ws.run(['snapshot', 'create', S.dataset, '--where', text]);
    expect(r.status === 2, `exit ${r.status}, expected 2 (${tail(r.stderr || r.stdout)})`);
    // The 1-based character after '= ', and a caret under it below the filter's text.
    expect(/at character 16\b/.test(r.stderr), `the message does not name character 16: ${tail(r.stderr)}`);
    const lines = r.stderr.split('\n');
    const at = lines.findIndex((l) => /^\s*\^\s*$/.test(l));
    expect(at > 0, `no caret line: ${tail(r.stderr)}`);
    const start = lines[at - 1].indexOf(text.trimEnd());
    expect(start >= 0 && lines[at].indexOf('^') - start === 15,
           `the caret is not under character 16:\n    ${lines[at - 1]}\n    ${lines[at]}`);
    expectEq(S.ws.json(['snapshot', 'list', S.dataset]).length, S.snapCount, 'snapshots after the error');
  });
  await check('7 a filter naming an unknown tag fails naming it', async () => {
    const r = S.ws.run(['snapshot', 'create', S.dataset, '--where', "tags.weather = 'rain' and tags.nosuch = 'x'"]);
    expect(r.status !== 0, `exit 0 (${tail(r.stdout)})`);
    expect(/tags\.nosuch/.test(r.stderr), `the message does not name tags.nosuch: ${tail(r.stderr)}`);
    expectEq(S.ws.json(['snapshot', 'list', S.dataset]).length, S.snapCount, 'snapshots after the error');
  });
}

// ---------------------------------------------------------------------------------------------
// 8. store verify, corruption, gc.

async function verifyAndGc() {
  await check('8 store verify: every object intact and present', async () => {
    const v = S.ws.verify();
    expect(v.status === 0 && v.doc && v.doc.ok === true, `exit ${v.status}: ${tail(v.stdout || v.stderr)}`);
    expect(v.doc.referenced > 0 && v.doc.checked >= v.doc.referenced, `counts ${JSON.stringify(v.doc)}`);
    return `${v.doc.checked} objects`;
  });

  await check('8 a corrupted blob: verify exits 1 naming it, reads fail, repaired it is ok', async () => {
    if (!S.ws.storeDir) return 'skipped: the store is S3';
    const snap = S.snaps.second || S.snaps.where;
    const id = snap.splits[0].versions_object;
    const file = S.ws.blobPath(id);
    const original = fs.readFileSync(file);
    const damaged = Buffer.from(original);
    damaged[damaged.length >> 1] ^= 0x20;
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, damaged);
    try {
      const v = S.ws.verify();
      expect(v.status === 1, `verify: exit ${v.status}, expected 1`);
      expect(v.doc && v.doc.ok === false && v.doc.corrupt.includes(id),
             `verify --json does not list ${id} as corrupt: ${tail(v.stdout)}`);
      const text = S.ws.run(['store', 'verify']);
      expect(text.status === 1 && (text.stdout + text.stderr).includes(id), `verify text does not name ${id}`);
      const e = S.ws.run(['snapshot', 'export', snap.id, '--split', snap.splits[0].name, '-o', W('corrupt.parquet')]);
      expect(e.status === 1 && e.stderr.includes(id), `export of a corrupt blob: exit ${e.status}: ${tail(e.stderr)}`);
    } finally {
      fs.writeFileSync(file, original);
    }
    const v = S.ws.verify();
    expect(v.status === 0, `verify after the repair: exit ${v.status}: ${tail(v.stdout)}`);
  });

  await check('8 gc removes only unreferenced objects older than the grace period', async () => {
    let orphan = null;
    const before = S.ws.storeDir ? S.ws.blobIds() : null;
    if (S.ws.storeDir) {
      const bytes = Buffer.from(`an object no commit references ${runTag}\n`);
      orphan = crypto.createHash('sha256').update(bytes).digest('hex');
      fs.mkdirSync(path.dirname(S.ws.blobPath(orphan)), {recursive: true});
      fs.writeFileSync(S.ws.blobPath(orphan), bytes);
      const v = S.ws.verify();
      expect(v.status === 0, `verify with an unreferenced blob: exit ${v.status}`);
    }
    const kept = S.ws.json(['gc']);
    expectEq([kept.removed, kept.kept_recent], [0, orphan ? 1 : 0], 'gc with the default grace: removed, kept_recent');
    const dry = S.ws.json(['gc', '--grace', '0s', '--dry-run']);
    expectEq([dry.dry_run, dry.removed_ids], [true, orphan ? [orphan] : []], 'gc --dry-run');
    if (orphan) expect(fs.existsSync(S.ws.blobPath(orphan)), 'the dry run removed the blob');
    const gc = S.ws.json(['gc', '--grace', '0s']);
    expectEq(gc.removed_ids, orphan ? [orphan] : [], 'gc --grace 0s removed_ids');
    if (before) expectEq(S.ws.blobIds(), before, 'blobs after gc');
    const v = S.ws.verify();
    expect(v.status === 0 && v.doc.ok, `verify after gc: exit ${v.status}: ${tail(v.stdout)}`);
    return `${gc.removed} removed, ${gc.kept_live} live kept`;
  });
}

// ---------------------------------------------------------------------------------------------
// 9. Two ingests at the same time.

async function concurrent() {
  await check('9 two concurrent ingests with overlapping records: nothing lost or duplicated', async () => {
    const ws = S.ws;
    ws.json(['dataset', 'create', 'concurrent']);
    const rng = makeRng(9);
    const all = [];
    for (let i = 0; i < 9000; ++i) all.push(baseRecord(10000 + i, rng));
    const a = W('concurrent-a.jsonl');
    const b = W('concurrent-b.csv');
    fs.writeFileSync(a, all.slice(0, 6000).map((r, k) => jsonlLine(r, k)).join('\n') + '\n');
    fs.writeFileSync(b, [CSV_HEADER, ...all.slice(3000).map((r, k) => csvLine(r, k + 1))].join('\n') + '\n');
    const [ra, rb] = await Promise.all([
      startCairn(ws, ['ingest', 'concurrent', '--from', a, '--json']),
      startCairn(ws, ['ingest', 'concurrent', '--from', b, '--json']),
    ]);
    for (const [name, r] of [['a', ra], ['b', rb]]) {
      expect(r.code === 0, `ingest ${name}: exit ${r.code} signal ${r.signal}: ${tail(r.stderr)}`);
    }
    const ja = JSON.parse(ra.stdout);
    const jb = JSON.parse(rb.stdout);
    expectEq(ja.new_versions + jb.new_versions, all.length, 'new_versions a + b');
    expectEq(ja.unchanged + jb.unchanged, 3000, 'unchanged a + b');
    const show = ws.show('concurrent');
    expectEq([show.versions, show.keys, show.commits.length], [all.length, all.length, 2],
             'versions, keys, commits');
    return `a: ${ja.new_versions} new (${ja.attempts} attempts), b: ${jb.new_versions} new ` +
        `(${jb.attempts} attempts)`;
  });
}

// ---------------------------------------------------------------------------------------------
// 10. SIGKILL during ingest.

const BIG_ROWS = 300000;

function writeBig(file, variant) {
  const fd = fs.openSync(file, 'w');
  const weather = ['rain', 'sun', 'fog'];
  let chunk = [];
  for (let i = 0; i < BIG_ROWS; ++i) {
    const cap = JUNE + i * US_PER_S;
    chunk.push(`{"key":"big/${i}","frame":"s3://raw/v${variant}/big/${i}.jpg",` +
               `"annotation":"s3://labels/big/${i}.json","captured_at":"${isoUs(cap)}",` +
               `"group":"g${i % 500}","tags":{"weather":"${weather[i % 3]}","lane":${i % 4}}}`);
    if (chunk.length === 10000) {
      fs.writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) fs.writeSync(fd, chunk.join('\n') + '\n');
  fs.closeSync(fd);
}

// How to hold the lock an ingest's commit needs from another process: on SQLite the
// database's write lock (BEGIN IMMEDIATE in the sqlite3 shell), on PostgreSQL a SHARE lock on
// `commits` (reads go on, the commit's INSERT waits). Null when that shell is not installed.
function commitLockShell(ws) {
  if (ws.database) {
    const exe = findPsql();
    return exe && {exe, argv: ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', ws.env.CAIRN_CATALOG],
                   sql: "BEGIN; LOCK TABLE commits IN SHARE MODE; SELECT 'locked';\n"};
  }
  const r = spawnSync('sqlite3', ['-version'], {encoding: 'utf8'});
  if (r.error || r.status !== 0) return null;
  return {exe: 'sqlite3', argv: [ws.env.CAIRN_CATALOG || path.join(ws.dir, '.cairn', 'catalog.db')],
          sql: "BEGIN IMMEDIATE; SELECT 'locked';\n"};
}

// Takes the lock; resolves to {release} once it is held.
async function holdCommitLock(shell) {
  const child = spawn(shell.exe, shell.argv, {stdio: ['pipe', 'pipe', 'pipe']});
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const closed = new Promise((resolve) => child.on('close', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckError(`${shell.exe}: no lock after 10 s: ${tail(err)}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/locked/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('close', (code) => reject(new CheckError(`${shell.exe} exited ${code}: ${tail(err)}`)));
    child.stdin.write(shell.sql);
  });
  return {
    release: async () => {
      child.stdin.end('ROLLBACK;\n');
      await closed;
    },
  };
}

// The ids `gc --grace 0s` would remove now: the objects nothing references.
function unreferenced(ws) {
  return ws.json(['gc', '--grace', '0s', '--dry-run']).removed_ids.slice().sort();
}

async function crashSafety() {
  const C = {};
  await check(`10 SIGKILL at 8 random moments of an ingest of ${BIG_ROWS} records: all of the commit or none`, async () => {
    const ws = new Workspace('crash', {useHome: true});
    C.ws = ws;
    ws.init();
    ws.json(['dataset', 'create', 'crash']);
    ws.json(['dataset', 'create', 'calibration']);
    const seed = W('crash-seed.jsonl');
    const rng = makeRng(10);
    fs.writeFileSync(seed, Array.from({length: 100}, (_, i) => jsonlLine(baseRecord(i, rng), i)).join('\n') + '\n');
    ws.json(['ingest', 'crash', '--from', seed]);
    let variant = 0;
    C.file = W(`big-${variant}.jsonl`);
    writeBig(C.file, variant);
    // The normal run time, measured on a dataset of its own.
    const calib = ws.json(['ingest', 'calibration', '--from', C.file]);
    expectEq(calib.new_versions, BIG_ROWS, 'calibration ingest');
    C.normalMs = calib._ms;
    C.old = ws.show('crash').versions;
    expectEq(C.old, 100, 'versions before');
    const delays = makeRng(20211);
    const log = [];
    let commits = 0;
    for (let k = 0; k < 8; ++k) {
      const delay = Math.round(delays() * 1.2 * C.normalMs);
      const r = await startCairn(ws, ['ingest', 'crash', '--from', C.file, '--json'], {killAfterMs: delay});
      const outcome = r.signal === 'SIGKILL' ? 'killed' : `exit ${r.code}`;
      if (r.signal !== 'SIGKILL') expect(r.code === 0, `run ${k}: exit ${r.code} signal ${r.signal}: ${tail(r.stderr)}`);
      const versions = ws.show('crash').versions;
      expect(versions === C.old || versions === C.old + BIG_ROWS,
             `run ${k} (killed after ${delay} ms): ${versions} versions, expected ${C.old} or ${C.old + BIG_ROWS}`);
      const v = ws.verify();
      expect(v.status === 0 && v.doc && v.doc.ok,
             `run ${k} (killed after ${delay} ms): store verify exit ${v.status}: ${tail(v.stdout || v.stderr)}`);
      const committed = versions === C.old + BIG_ROWS;
      log.push(`${delay} ms ${outcome}${committed ? ' (committed)' : ''}`);
      if (committed) {
        // Go on with new records, so that the next kills interrupt real work again.
        ++commits;
        C.old = versions;
        C.file = W(`big-${++variant}.jsonl`);
        writeBig(C.file, variant);
      }
    }
    console.log(`    normal run ${Math.round(C.normalMs)} ms; SIGKILL after: ${log.join(', ')}`);
    return `${commits} of 8 had committed, ${unreferenced(ws).length} unreferenced objects left`;
  });

  await check('10 SIGKILL while the commit waits for the catalog: the uploaded segment is an orphan', async () => {
    const ws = C.ws;
    expect(ws && C.normalMs, 'no crash workspace');
    const shell = commitLockShell(ws);
    if (!shell) return 'skipped: no sqlite3 shell';
    const orphansBefore = unreferenced(ws);
    const blobsBefore = ws.storeDir ? ws.blobIds() : null;
    // Records of their own, so that the segment stays an orphan after the next check's ingest.
    const file = W('big-locked.jsonl');
    writeBig(file, 'locked');
    // Once the ingest reads its input it has read all it needs from the catalog (on SQLite,
    // opening the catalog itself takes the write lock for a moment); then the lock is taken,
    // and the ingest writes its segment and waits for the lock at its commit.
    const t0 = Date.now();
    const run = startCairn(ws, ['ingest', 'crash', '--from', file, '--json']);
    const input = fs.realpathSync(file);
    let open = hasOpen(run.child.pid, input);
    while (open === false && Date.now() - t0 < 10000) {
      await sleep(2);
      open = hasOpen(run.child.pid, input);
    }
    if (open === null) {
      run.child.kill('SIGKILL');
      await run;
      return 'skipped: no /proc to see when the ingest reads its input';
    }
    expect(open, 'the ingest never opened its input');
    const lock = await holdCommitLock(shell);
    let r;
    try {
      // Kill it once its segment is in the store: seen as a new file in a directory store; on
      // S3, after three normal run times (the commit waits for the lock far longer).
      if (blobsBefore) {
        while (Date.now() - t0 < 20000 && run.child.exitCode === null &&
               !ws.blobIds().some((id) => !blobsBefore.includes(id))) {
          await sleep(10);
        }
      } else {
        await sleep(Math.max(0, 3 * C.normalMs + 1000 - (Date.now() - t0)));
      }
      run.child.kill('SIGKILL');
      r = await run;
    } finally {
      await lock.release();
    }
    expect(r.signal === 'SIGKILL', `the ingest did not wait for the lock: exit ${r.code}: ${tail(r.stdout || r.stderr)}`);
    expectEq(ws.show('crash').versions, C.old, 'versions');
    const v = ws.verify();
    expect(v.status === 0 && v.doc.ok, `store verify: exit ${v.status}: ${tail(v.stdout)}`);
    const orphans = unreferenced(ws);
    const fresh = orphans.filter((id) => !orphansBefore.includes(id));
    expect(orphansBefore.every((id) => orphans.includes(id)), 'an earlier orphan disappeared');
    expect(fresh.length >= 1, 'no new unreferenced object: the segment was not uploaded before the commit');
    if (blobsBefore) {
      const added = ws.blobIds().filter((id) => !blobsBefore.includes(id));
      expectEq(added, fresh, 'new blob files vs new unreferenced objects');
    }
    C.lockOrphans = fresh;
    return `lock held with ${shell.exe}; ${fresh.length} new orphan(s)`;
  });

  await check('10 the ingest then completes; gc --grace 0s removes only orphans; verify ok', async () => {
    const ws = C.ws;
    expect(ws && C.normalMs, 'no crash workspace');
    const orphans = unreferenced(ws);
    const fin = ws.json(['ingest', 'crash', '--from', C.file]);
    expectEq(fin.new_versions, BIG_ROWS, 'new_versions');
    expectEq(ws.show('crash').versions, C.old + BIG_ROWS, 'versions after the ingest');
    const blobsBefore = ws.storeDir ? ws.blobIds() : null;
    const gc = ws.json(['gc', '--grace', '0s']);
    expect(gc.removed >= 0 && gc.removed_ids.length === gc.removed, `gc: ${JSON.stringify(gc)}`);
    // The completed ingest may have written the very segment an interrupted one left behind.
    const stray = gc.removed_ids.filter((id) => !orphans.includes(id));
    expect(stray.length === 0, `gc removed objects that were not orphans: ${stray.join(', ')}`);
    const kept = (C.lockOrphans || []).filter((id) => !gc.removed_ids.includes(id));
    expect(kept.length === 0, `gc kept the orphan of the interrupted commit: ${kept.join(', ')}`);
    if (blobsBefore) {
      expectEq(ws.blobIds(), blobsBefore.filter((id) => !gc.removed_ids.includes(id)), 'blobs after gc');
    }
    expectEq(unreferenced(ws), [], 'unreferenced objects after gc');
    const v = ws.verify();
    expect(v.status === 0 && v.doc.ok, `store verify after gc: exit ${v.status}: ${tail(v.stdout)}`);
    expectEq(ws.show('crash').versions, C.old + BIG_ROWS, 'versions after gc');
    const temps = ws.storeDir ? listFiles(ws.storeDir).filter((f) => /\.tmp-/.test(f)).length : 0;
    return `gc removed ${gc.removed} orphans` + (ws.storeDir ? `, ${temps} temporary files left` : '');
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  con = await inst.connect();
  await q("SET threads = 2; SET TimeZone = 'UTC'");
  console.log(`# cairn: ${args.cairn}\n# work dir: ${work}`);
  if (postgresAdmin) console.log('# catalog: one PostgreSQL database per workspace');
  if (s3Root) console.log(`# store: ${s3Root}/${runTag}/<workspace>`);
  const parts = [['datasets', datasets], ['jsonl', jsonlIngest], ['csv-parquet', csvAndParquet],
                 ['snapshots', snapshotsAgain], ['window', windowed], ['filter', filterErrors],
                 ['verify-gc', verifyAndGc], ['concurrent', concurrent], ['crash', crashSafety]];
  for (const [name, fn] of parts) await fn().catch(setupError(name));
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`\n${results.passed} passed, ${results.failed} failed (${secs} s)`);
  if (results.failed) {
    console.log('failed:');
    for (const f of results.failures) console.log(`  ${f.name}`);
  }
  for (const ws of workspaces) ws.cleanup();
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
