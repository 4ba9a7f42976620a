#!/usr/bin/env node
// Benchmark of cairn's training data store (ingest and snapshot creation) against the same work
// done by DuckDB and by PostgreSQL, on the same data, in the same run. Usually started by
// bench/run-store.sh.
//
//   node bench/store_bench.js [--cairn PATH] [--versions N | --quick] [--repeat R]
//        [--data-dir DIR] [--out FILE.md] [--duckdb-dir DIR] [--no-postgres]
//
// Generates (once, with DuckDB) N example versions (default 10M; --quick: 1M) over N/2 keys as
// Parquet (snappy) and CSV under --data-dir (default build/bench-data/store): every key twice,
// the second version a re-label (later labeled_at, another annotation, for a fifth of the keys
// another weather tag), rows shuffled. Then times, R times each (default 3):
//   Ingest    cairn:      `cairn ingest bench --from F.parquet` into a fresh workspace
//                         (SQLite catalog + directory store), and a re-run that finds nothing new
//             DuckDB:     CREATE TABLE AS SELECT * FROM read_parquet(F) into a database file
//             PostgreSQL: COPY FROM the CSV, then the three indexes the snapshot query uses
//   Snapshot  latest version per key, filter on two tags, 80/10/10 split by a seeded hash of
//             the group, per split a sorted key list and a table of the selected rows:
//             cairn:      `cairn snapshot create bench --where ... --split ... --seed S`
//             DuckDB:     the same in SQL over F.parquet, writing Parquet and text files
//             PostgreSQL: the same in SQL over the loaded table, writing CSV and text files
// Every cairn command and every DuckDB run is its own process, so each peak memory (max RSS) is
// that of one run; for PostgreSQL it is the peak of the server process serving the session.
// Writes Markdown to --out (default docs/benchmarks-store.md) and prints it.
'use strict';

const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');
const {spawn, spawnSync, execSync} = require('child_process');
const {createRequire} = require('module');

const root = path.resolve(__dirname, '..');
const kWhere = "tags.weather = 'rain' and tags.camera = 'front'";
const kSplits = [['train', 0.8], ['val', 0.1], ['test', 0.1]];
const kSeedBase = 1000;  // repetition r uses seed kSeedBase + r

function die(msg, code = 1) {
  console.error(`store_bench.js: ${msg}`);
  process.exit(code);
}

const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const kibToMib = (kib) => (kib == null ? '-' : `${(kib / 1024).toFixed(0)} MiB`);
const fmtInt = (n) => Number(n).toLocaleString('en-US');
const sh = (cmd) => {
  try {
    return execSync(cmd, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
  } catch (e) {
    return '';
  }
};
const countLines = (file) => {
  const buf = fs.readFileSync(file);
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) ++n;
  return n;
};
// Reads a file once, so that every tool then reads it from the page cache.
const warm = (file) => {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 << 20);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0) {
    // Only the reading matters.
  }
  fs.closeSync(fd);
};
const readKeys = (files) => {
  const keys = new Set();
  for (const f of files) {
    for (const k of fs.readFileSync(f, 'utf8').split('\n')) {
      if (k) keys.add(k);
    }
  }
  return keys;
};
const dirBytes = (dir) => {
  let total = 0;
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
};

// Runs a process to its end without blocking the event loop (so that a signal can stop the
// benchmark and its PostgreSQL server at once); resolves to its exit status, output and wall
// time. The process running now is `running`, in a process group of its own so that stopping
// the benchmark stops it and its children (/usr/bin/time's cairn) too.
let running = null;
function runProcess(cmd, argv, options = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, {...options, detached: true, stdio: ['ignore', 'pipe', 'pipe']});
    running = child;
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => err.push(Buffer.from(String(e))));
    child.on('close', (status, signal) => {
      running = null;
      resolve({status, signal, seconds: Number(process.hrtime.bigint() - t0) / 1e9,
               stdout: Buffer.concat(out).toString('utf8'),
               stderr: Buffer.concat(err).toString('utf8')});
    });
  });
}

// ---------------------------------------------------------------------------------------------
// DuckDB runs in child processes (`--duckdb-child OP JSON`), so that each measurement has its
// own peak memory and the parent holds no DuckDB memory while cairn or PostgreSQL run.

// The example versions: `keys` keys, two versions each, in shuffled order.
const GENERATE = (keys) => `
  WITH v AS (
    SELECT k, v, hash(k * 3) % 4 AS w0, hash(k * 29) % 5 = 0 AS relabel_changes_weather
    FROM range(${keys}) t(k), range(2) s(v))
  SELECT
    'drive' || lpad((k // 1000)::VARCHAR, 5, '0') || '/frame' || lpad((k % 1000)::VARCHAR, 4, '0') AS key,
    's3://raw/drive' || lpad((k // 1000)::VARCHAR, 5, '0') || '/' || lpad((k % 1000)::VARCHAR, 4, '0') || '.jpg' AS frame,
    's3://labels/' || k || '.v' || (v + 1) || '.json' AS annotation,
    TIMESTAMP '2021-01-01' + to_seconds(k) AS captured_at,
    TIMESTAMP '2021-06-01' + to_seconds(v * 86400 + k % 1000) AS labeled_at,
    'drive' || lpad((k // 1000)::VARCHAR, 5, '0') AS "group",
    (['rain', 'sun', 'fog', 'snow'])[(CASE WHEN v = 1 AND relabel_changes_weather
                                         THEN (w0 + 1) % 4 ELSE w0 END + 1)::INT] AS "tags.weather",
    (['day', 'night', 'dusk'])[(hash(k) % 3 + 1)::INT] AS "tags.time_of_day",
    (['front', 'rear', 'left', 'right'])[(hash(k * 7) % 4 + 1)::INT] AS "tags.camera",
    (['highway', 'urban', 'rural'])[(hash(k * 11) % 3 + 1)::INT] AS "tags.road",
    (['de', 'fr', 'us', 'jp'])[(hash(k // 1000) % 4 + 1)::INT] AS "tags.country",
    (hash(k * 13) % 1300)::DOUBLE / 10.0 AS "tags.speed",
    (hash(k * 17) % 20)::BIGINT AS "tags.objects",
    hash(k * 19) % 2 = 0 AS "tags.night",
    (hash(k * 23) % 400)::DOUBLE / 10.0 - 10.0 AS "tags.temperature",
    (k // 50)::BIGINT AS "tags.scene"
  FROM v
  ORDER BY hash(k, v, 99)`;

// The split of a row, from a hash of its group and the seed, as DuckDB computes it.
const duckSplitCase = (seed) => {
  const h = `hash("group", ${seed}) % 100`;
  return `CASE WHEN ${h} < 80 THEN 'train' WHEN ${h} < 90 THEN 'val' ELSE 'test' END`;
};

async function duckdbChild(op, p) {
  let duckdb;
  try {
    duckdb = createRequire(path.join(p.duckdbDir, 'package.json'))('@duckdb/node-api');
  } catch (e) {
    die(`@duckdb/node-api is not installed in ${p.duckdbDir} (npm ci --prefix tests/duckdb)`);
  }
  const out = {};
  const t0 = process.hrtime.bigint();
  const inst = await duckdb.DuckDBInstance.create(p.db || ':memory:');
  const con = await inst.connect();
  const run = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
  if (op === 'version') {
    out.version = (await run('SELECT version() AS v'))[0].v;
  } else if (op === 'generate') {
    await run(`CREATE TABLE gen AS ${GENERATE(p.keys)}`);
    await run(`COPY gen TO ${lit(p.parquet + '.tmp')} (FORMAT parquet, COMPRESSION snappy)`);
    await run(`COPY gen TO ${lit(p.csv + '.tmp')} (FORMAT csv, HEADER)`);
    out.rows = Number((await run('SELECT count(*) AS n FROM gen'))[0].n);
  } else if (op === 'load') {
    // Timed: opening a new database file, the load and the checkpoint that makes it durable.
    await run(`CREATE TABLE examples AS SELECT * FROM read_parquet(${lit(p.parquet)})`);
    await run('CHECKPOINT');
    out.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    out.rows = Number((await run('SELECT count(*) AS n FROM examples'))[0].n);
  } else if (op === 'snapshot') {
    // Timed: dedup, filter, split, and per split a sorted Parquet table and a sorted key list.
    await run(`CREATE TEMP TABLE sel AS
      SELECT *, ${duckSplitCase(p.seed)} AS split FROM (
        SELECT * FROM read_parquet(${lit(p.parquet)})
        QUALIFY row_number() OVER (PARTITION BY key ORDER BY labeled_at DESC) = 1)
      WHERE "tags.weather" = 'rain' AND "tags.camera" = 'front'`);
    for (const [name] of kSplits) {
      const rows = path.join(p.outDir, `${name}.parquet`);
      const keys = path.join(p.outDir, `${name}.txt`);
      await run(`COPY (SELECT * EXCLUDE (split) FROM sel WHERE split = ${lit(name)} ORDER BY key)
                 TO ${lit(rows)} (FORMAT parquet, COMPRESSION snappy)`);
      await run(`COPY (SELECT key FROM sel WHERE split = ${lit(name)} ORDER BY key)
                 TO ${lit(keys)} (FORMAT csv, HEADER false, QUOTE '')`);
    }
    out.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  } else {
    die(`unknown DuckDB operation '${op}'`, 2);
  }
  con.closeSync();
  inst.closeSync();
  out.maxRssKiB = process.resourceUsage().maxRSS;
  console.log(JSON.stringify(out));
}

// Runs one DuckDB operation in a child node process; returns its JSON result or {error}.
async function duckdb(args, op, params) {
  const r = await runProcess(process.execPath,
                             [__filename, '--duckdb-child', op,
                              JSON.stringify({duckdbDir: args.duckdbDir, ...params})]);
  if (r.status !== 0) {
    return {error: (r.stderr || '').trim().split('\n').pop() || `signal ${r.signal}`};
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---------------------------------------------------------------------------------------------
// cairn: every command a process of its own, timed from start to exit, its peak memory
// measured by /usr/bin/time.

async function cairn(args, cwd, cairnArgs) {
  const env = {...process.env};
  // The embedded default: SQLite catalog and directory store inside the workspace.
  delete env.CAIRN_CATALOG;
  delete env.CAIRN_STORE;
  delete env.CAIRN_HOME;
  const rssFile = path.join(os.tmpdir(), `cairn-bench-rss-${process.pid}`);
  const useTime = fs.existsSync('/usr/bin/time');
  const [cmd, argv] = useTime ? ['/usr/bin/time', ['-o', rssFile, '-f', '%M', args.cairn, ...cairnArgs]]
                              : [args.cairn, cairnArgs];
  const r = await runProcess(cmd, argv, {cwd, env});
  const seconds = r.seconds;
  let maxRssKiB = null;
  if (useTime && fs.existsSync(rssFile)) {
    const m = /(\d+)\s*$/.exec(fs.readFileSync(rssFile, 'utf8'));
    if (m) maxRssKiB = Number(m[1]);
    fs.rmSync(rssFile, {force: true});
  }
  if (r.status !== 0) {
    const why = (r.stderr || '').trim().split('\n').filter((l) => !/^Command exited/.test(l)).pop();
    throw new Error(`cairn ${cairnArgs.join(' ')}: ${why || `signal ${r.signal}`}`);
  }
  const out = (r.stdout || '').trim();
  let json = null;
  if (cairnArgs.includes('--json')) json = JSON.parse(out.split('\n').pop());
  return {seconds, maxRssKiB, json};
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a private server (scripts/pg-test-server.sh) on a free loopback port; every
// measurement one psql session, timed from start to exit.

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

class Postgres {
  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.running = false;
    this.script = path.join(root, 'scripts', 'pg-test-server.sh');
    this.psqlBin = process.env.PG_BIN ? path.join(process.env.PG_BIN, 'psql') : 'psql';
  }
  start() {
    const r = spawnSync(this.script, ['start', this.dir, String(this.port)], {encoding: 'utf8'});
    if (r.status !== 0) throw new Error(`PostgreSQL did not start: ${(r.stderr || '').trim()}`);
    this.running = true;
  }
  stop() {
    if (!this.running) return;
    this.running = false;
    spawnSync(this.script, ['stop', this.dir, String(this.port)], {stdio: 'ignore'});
  }
  // Runs `sql` (psql input, may hold \copy) in one session; returns its output lines and time.
  async psql(sql) {
    const file = path.join(os.tmpdir(), `cairn-bench-${process.pid}.sql`);
    fs.writeFileSync(file, sql);
    const r = await runProcess(this.psqlBin,
                               ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
                                '-p', String(this.port), '-U', 'postgres', '-d', 'postgres', '-f',
                                file]);
    fs.rmSync(file, {force: true});
    if (r.status !== 0) throw new Error(`psql: ${(r.stderr || '').trim().split('\n').pop()}`);
    return {seconds: r.seconds, lines: r.stdout.split('\n').filter(Boolean)};
  }
}

// The last statement of a timed session: the peak memory of the server process serving it.
const kPgPeak = "SELECT 'peak_kib ' || (regexp_match(pg_read_file('/proc/self/status'), " +
    "'VmHWM:\\s+(\\d+)'))[1];\n";
const pgPeak = (lines) => {
  const l = lines.find((x) => x.startsWith('peak_kib '));
  return l ? Number(l.split(' ')[1]) : null;
};

// Keys compare bytewise (COLLATE "C"), as cairn sorts them.
const kPgTable = `CREATE TABLE examples (
  key text COLLATE "C" NOT NULL, frame text NOT NULL, annotation text, captured_at timestamp NOT NULL,
  labeled_at timestamp, grp text, weather text, time_of_day text, camera text, road text,
  country text, speed double precision, objects bigint, night boolean,
  temperature double precision, scene bigint)`;
const kPgColumns = 'key, frame, annotation, captured_at, labeled_at, grp, weather, time_of_day, ' +
    'camera, road, country, speed, objects, night, temperature, scene';
const kPgIndexes = [
  'CREATE INDEX examples_key_labeled ON examples (key, labeled_at DESC)',
  'CREATE INDEX examples_weather ON examples (weather)',
  'CREATE INDEX examples_camera ON examples (camera)',
];
// Session settings for every timed PostgreSQL run: memory for sorts, hashes and index builds
// in line with what DuckDB and cairn may use on this machine (the server defaults are 4 MB and
// 64 MB).
const kPgSettings = "SET work_mem = '1GB';\nSET maintenance_work_mem = '1GB';\n";

function pgSnapshotSql(seed, outDir) {
  const h = `abs(hashtext(grp || ${lit(String(seed))})::bigint) % 100`;
  let sql = kPgSettings + `CREATE TEMP TABLE sel AS
  SELECT *, CASE WHEN ${h} < 80 THEN 'train' WHEN ${h} < 90 THEN 'val' ELSE 'test' END AS split
  FROM (SELECT DISTINCT ON (key) * FROM examples ORDER BY key, labeled_at DESC) latest
  WHERE weather = 'rain' AND camera = 'front';\n`;
  for (const [name] of kSplits) {
    const rows = path.join(outDir, `${name}.csv`);
    const keys = path.join(outDir, `${name}.txt`);
    // psql's \copy must be one line.
    sql += `\\copy (SELECT ${kPgColumns} FROM sel WHERE split = ${lit(name)} ORDER BY key) ` +
        `TO ${lit(rows)} (FORMAT csv, HEADER)\n`;
    sql += `\\copy (SELECT key FROM sel WHERE split = ${lit(name)} ORDER BY key) TO ${lit(keys)}\n`;
  }
  return sql + kPgPeak;
}

// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const a = {
    cairn: path.join(root, 'build', 'release', 'src', 'cli', 'cairn'),
    versions: 10000000,
    repeat: 3,
    dataDir: path.join(root, 'build', 'bench-data', 'store'),
    out: path.join(root, 'docs', 'benchmarks-store.md'),
    duckdbDir: path.join(root, 'tests', 'duckdb'),
    postgres: true,
    quick: false,
  };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) die(`${k} needs a value`, 2);
      return argv[++i];
    };
    if (k === '--cairn') a.cairn = path.resolve(v());
    else if (k === '--versions') a.versions = Number(v());
    else if (k === '--quick') {
      a.quick = true;
      a.versions = 1000000;
    } else if (k === '--repeat') a.repeat = Number(v());
    else if (k === '--data-dir') a.dataDir = path.resolve(v());
    else if (k === '--out') a.out = path.resolve(v());
    else if (k === '--duckdb-dir') a.duckdbDir = path.resolve(v());
    else if (k === '--no-postgres') a.postgres = false;
    else die(`unknown argument '${k}'`, 2);
  }
  if (!(a.versions >= 2) || a.versions % 2 !== 0 || !(a.repeat > 0)) {
    die('--versions must be an even number >= 2 and --repeat positive', 2);
  }
  if (!fs.existsSync(a.cairn)) die(`no cairn binary at ${a.cairn} (--cairn PATH)`);
  return a;
}

async function main(args) {
  const keys = args.versions / 2;
  fs.mkdirSync(args.dataDir, {recursive: true});
  const parquet = path.join(args.dataDir, `examples_${args.versions}.parquet`);
  const csv = path.join(args.dataDir, `examples_${args.versions}.csv`);
  const work = fs.mkdtempSync(path.join(args.dataDir, 'run-'));
  let pg = null;
  const cleanup = () => {
    if (running) {
      try {
        process.kill(-running.pid, 'SIGKILL');
      } catch (e) {
        // Already gone.
      }
    }
    if (pg) pg.stop();
    fs.rmSync(work, {recursive: true, force: true});
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));
  // Run a copy, so that a rebuild during the run cannot change the binary under test.
  const cairnBinary = args.cairn;
  args.cairn = path.join(work, 'cairn');
  fs.copyFileSync(cairnBinary, args.cairn);
  fs.chmodSync(args.cairn, 0o755);

  const duckVersion = (await duckdb(args, 'version', {})).version || 'unknown';
  if (!fs.existsSync(parquet) || !fs.existsSync(csv)) {
    console.error(`generating ${fmtInt(args.versions)} versions into ${args.dataDir} ...`);
    const g = await duckdb(args, 'generate', {keys, parquet, csv});
    if (g.error) die(`generating the data: ${g.error}`);
    fs.renameSync(parquet + '.tmp', parquet);
    fs.renameSync(csv + '.tmp', csv);
  }
  warm(parquet);
  if (args.postgres) warm(csv);

  const loadBefore = os.loadavg();
  const results = {};  // op -> [{tool, times, peaks, note, ...}]
  const add = (op, row) => (results[op] = results[op] || []).push(row);

  // --- Ingest ------------------------------------------------------------------------------
  console.error('cairn ingest');
  const ingest = {tool: 'cairn', times: [], peaks: [], inner: []};
  let ws = null;
  for (let r = 0; r < args.repeat; ++r) {
    if (ws) fs.rmSync(ws, {recursive: true, force: true});
    ws = path.join(work, `cairn-${r}`);
    fs.mkdirSync(ws);
    await cairn(args, ws, ['init', '--json']);
    await cairn(args, ws, ['dataset', 'create', 'bench', '--json']);
    const res = await cairn(args, ws, ['ingest', 'bench', '--from', parquet, '--json']);
    if (res.json.new_versions !== args.versions) {
      die(`cairn ingest stored ${res.json.new_versions} new versions, expected ${args.versions}`);
    }
    ingest.times.push(res.seconds);
    ingest.peaks.push(res.maxRssKiB);
    ingest.inner.push(res.json.seconds);
  }
  const cairnStoreBytes = dirBytes(path.join(ws, '.cairn'));
  add('ingest', ingest);

  console.error('cairn ingest (re-run)');
  const rerun = {tool: 'cairn (re-run, nothing new)', times: [], peaks: [], inner: []};
  for (let r = 0; r < args.repeat; ++r) {
    const res = await cairn(args, ws, ['ingest', 'bench', '--from', parquet, '--json']);
    if (res.json.new_versions !== 0 || res.json.unchanged !== args.versions) {
      die(`cairn ingest re-run: ${res.json.new_versions} new, ${res.json.unchanged} unchanged`);
    }
    rerun.times.push(res.seconds);
    rerun.peaks.push(res.maxRssKiB);
    rerun.inner.push(res.json.seconds);
  }
  add('ingest', rerun);

  console.error('DuckDB load');
  const dLoad = {tool: 'DuckDB', times: [], peaks: []};
  let duckDbBytes = 0;
  for (let r = 0; r < args.repeat; ++r) {
    const db = path.join(work, `duck-${r}.duckdb`);
    const res = await duckdb(args, 'load', {parquet, db});
    if (res.error) die(`DuckDB load: ${res.error}`);
    if (res.rows !== args.versions) die(`DuckDB loaded ${res.rows} rows`);
    dLoad.times.push(res.seconds);
    dLoad.peaks.push(res.maxRssKiB);
    duckDbBytes = fs.statSync(db).size;
    fs.rmSync(db, {force: true});
    fs.rmSync(db + '.wal', {force: true});
  }
  add('ingest', dLoad);

  // --- Snapshot ----------------------------------------------------------------------------
  const selected = [];  // {tool, total, splits: {name: rows}, keys: Set}
  console.error('cairn snapshot create');
  const cSnap = {tool: 'cairn', times: [], peaks: [], inner: []};
  const splitArg = kSplits.map(([n, f]) => `${n}=${f}`).join(',');
  for (let r = 0; r < args.repeat; ++r) {
    const seed = kSeedBase + r;
    const res = await cairn(args, ws, ['snapshot', 'create', 'bench', '--where', kWhere, '--split',
                                 splitArg, '--seed', String(seed), '--json']);
    if (res.json.created !== true) die(`cairn snapshot create --seed ${seed} created nothing`);
    cSnap.times.push(res.seconds);
    cSnap.peaks.push(res.maxRssKiB);
    cSnap.inner.push(res.json.seconds);
    if (r === args.repeat - 1) {
      const splits = {};
      const files = [];
      for (const s of res.json.splits) {
        splits[s.name] = s.rows;
        const f = path.join(work, `cairn-${s.name}.txt`);
        await cairn(args, ws, ['snapshot', 'export', res.json.id, '--split', s.name, '-o', f]);
        if (countLines(f) !== s.rows) die(`cairn's ${s.name} key list has ${countLines(f)} keys`);
        files.push(f);
      }
      selected.push({tool: 'cairn', seed, total: res.json.rows, splits, keys: readKeys(files),
                     candidates: res.json.candidates});
    }
  }
  add('snapshot', cSnap);

  console.error('DuckDB snapshot');
  const dSnap = {tool: 'DuckDB', times: [], peaks: []};
  for (let r = 0; r < args.repeat; ++r) {
    const seed = kSeedBase + r;
    const outDir = path.join(work, `duck-snap-${r}`);
    fs.mkdirSync(outDir);
    const res = await duckdb(args, 'snapshot', {parquet, seed, outDir});
    if (res.error) die(`DuckDB snapshot: ${res.error}`);
    dSnap.times.push(res.seconds);
    dSnap.peaks.push(res.maxRssKiB);
    if (r === args.repeat - 1) {
      const splits = {};
      for (const [name] of kSplits) splits[name] = countLines(path.join(outDir, `${name}.txt`));
      const keySet = readKeys(kSplits.map(([n]) => path.join(outDir, `${n}.txt`)));
      selected.push({tool: 'DuckDB', seed, total: keySet.size, splits, keys: keySet});
    }
    fs.rmSync(outDir, {recursive: true, force: true});
  }
  add('snapshot', dSnap);

  // --- PostgreSQL --------------------------------------------------------------------------
  let pgVersion = 'not run';
  let pgBytes = null;
  let pgAnalyze = null;
  if (args.postgres) {
    pg = new Postgres(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-pg-')));
    pg.start();
    pgVersion = (await pg.psql('SHOW server_version;\n')).lines[0];
    // Server-side COPY reads the file directly when the server may; else psql streams it.
    let copy = `COPY examples FROM ${lit(csv)} (FORMAT csv, HEADER)`;
    try {
      await pg.psql(`SELECT length(pg_read_binary_file(${lit(csv)}, 0, 1));\n`);
    } catch (e) {
      copy = `\\copy examples FROM ${lit(csv)} (FORMAT csv, HEADER)`;
    }
    console.error('PostgreSQL load');
    const pLoad = {tool: 'PostgreSQL', times: [], peaks: []};
    for (let r = 0; r < args.repeat; ++r) {
      await pg.psql(`DROP TABLE IF EXISTS examples;\n${kPgTable};\nCHECKPOINT;\n`);
      const res = await pg.psql(kPgSettings + copy + ';\n' + kPgIndexes.join(';\n') + ';\n' + kPgPeak);
      pLoad.times.push(res.seconds);
      pLoad.peaks.push(pgPeak(res.lines));
    }
    const n = Number((await pg.psql('SELECT count(*) FROM examples;\n')).lines[0]);
    if (n !== args.versions) die(`PostgreSQL loaded ${n} rows`);
    pgAnalyze = (await pg.psql('ANALYZE examples;\n')).seconds;
    pgBytes = Number((await pg.psql("SELECT pg_total_relation_size('examples');\n")).lines[0]);
    pLoad.note = copy.startsWith('\\') ? 'rows streamed by psql `\\copy`' : '';
    add('ingest', pLoad);

    console.error('PostgreSQL snapshot');
    const pSnap = {tool: 'PostgreSQL', times: [], peaks: []};
    for (let r = 0; r < args.repeat; ++r) {
      const seed = kSeedBase + r;
      const outDir = path.join(work, `pg-snap-${r}`);
      fs.mkdirSync(outDir);
      const res = await pg.psql(pgSnapshotSql(seed, outDir));
      pSnap.times.push(res.seconds);
      pSnap.peaks.push(pgPeak(res.lines));
      if (r === args.repeat - 1) {
        const splits = {};
        for (const [name] of kSplits) splits[name] = countLines(path.join(outDir, `${name}.txt`));
        const keySet = readKeys(kSplits.map(([nm]) => path.join(outDir, `${nm}.txt`)));
        selected.push({tool: 'PostgreSQL', seed, total: keySet.size, splits, keys: keySet});
      }
      fs.rmSync(outDir, {recursive: true, force: true});
    }
    add('snapshot', pSnap);
    pg.stop();
  }
  const loadAfter = os.loadavg();

  // --- Report ------------------------------------------------------------------------------
  const best = (row) => Math.min(...row.times);
  const cairnIngest = results.ingest[0];
  const cairnSnap = results.snapshot[0];
  const sameKeys = (a, b) => a.keys.size === b.keys.size && [...a.keys].every((k) => b.keys.has(k));
  for (const s of selected.slice(1)) {
    s.check = sameKeys(selected[0], s) ? 'same keys as cairn' : '**keys differ from cairn**';
  }
  if (selected[0]) selected[0].check = '';

  const cpu = sh("lscpu | sed -n 's/^Model name: *//p'") || os.cpus()[0].model;
  let built = null;  // what `cairn version` says about the binary
  try {
    built = (await cairn(args, work, ['version', '--json'])).json;
  } catch (e) {
    built = null;
  }
  const cairnDesc = built && built.commit
      ? `commit ${built.commit.slice(0, 7)}${built.modified ? ' (with local changes)' : ''}, ` +
        `${built.build_type} build, ${built.compiler}`
      : `commit not recorded in the binary (working tree at ${sh(`git -C ${lit(root)} rev-parse --short HEAD`)})`;
  const binaryDesc = path.relative(root, cairnBinary).startsWith('..') ? cairnBinary
                                                                       : path.relative(root, cairnBinary);
  const memGiB = (os.totalmem() / 2 ** 30).toFixed(0);
  const la = (l) => l.map((x) => x.toFixed(2)).join(' ');

  const lines = [];
  const L = (s = '') => lines.push(s);
  L('# Benchmarks: cairn\'s training data store vs DuckDB and PostgreSQL');
  L();
  L('Generated by `bench/run-store.sh` (`make bench-store`); do not edit by hand. Each operation is');
  L(`timed ${args.repeat} times for each tool in the same run on the same data; the tables show the best`);
  L('and the median run. **ratio** = other tool\'s time / cairn\'s time: above 1 cairn is faster,');
  L('below 1 the other tool is. The best run is the headline: it is least disturbed by other work');
  L('on the machine. Peak memory is the largest max RSS of the runs.');
  L();
  L('## Setup');
  L();
  L(`- Machine: ${os.cpus().length} cores, ${cpu}, ${memGiB} GiB RAM, ${os.type()} ${os.release()}`);
  L(`- cairn: ${cairnDesc} (\`${binaryDesc}\`); embedded workspace (SQLite catalog, directory` +
    ' object store)');
  L(`- DuckDB: ${duckVersion} (Node.js client \`@duckdb/node-api\`, one \`node\` process per run)`);
  L(args.postgres
        ? `- PostgreSQL: ${pgVersion} (\`scripts/pg-test-server.sh\`: fsync off, other settings` +
          ' default; each timed session sets `work_mem` and `maintenance_work_mem` to 1GB)'
        : '- PostgreSQL: not run (`--no-postgres`)');
  L(`- Data: ${fmtInt(args.versions)} example versions of ${fmtInt(keys)} keys generated by DuckDB: ` +
    `Parquet (snappy) ${mib(fs.statSync(parquet).size)}, CSV ${mib(fs.statSync(csv).size)}.`);
  L('  Every key twice; the second version a re-label (later `labeled_at`, another annotation, and');
  L('  for a fifth of the keys another `tags.weather`); rows shuffled. Columns: `key`');
  L('  (`drive00042/frame0123`), `frame`, `annotation`, `captured_at`, `labeled_at`, `group` (the');
  L('  drive, 1,000 keys each), and tags `weather`, `time_of_day`, `camera`, `road`, `country`');
  L('  (strings of 3 or 4 values), `speed`, `temperature` (double), `objects`, `scene` (int),');
  L('  `night` (bool).');
  L(`- Stored after the load: cairn workspace ${mib(cairnStoreBytes)}, DuckDB database file` +
    ` ${mib(duckDbBytes)}` + (pgBytes != null ? `, PostgreSQL table with indexes ${mib(pgBytes)}` : '') + '.');
  L('- Input files are read from the page cache.');
  L(`- Load average (1, 5, 15 min) before / after the run: ${la(loadBefore)} / ${la(loadAfter)}` +
    ` (above ~0.5 per core means other work shared the cores and numbers are noisy).`);
  L();
  L('## What is timed');
  L();
  L('| operation | cairn | DuckDB | PostgreSQL |');
  L('|---|---|---|---|');
  L('| Ingest | `cairn ingest bench --from examples.parquet` into a new workspace (after `cairn init`,' +
    ' `cairn dataset create bench`): hashes every record, stores the new versions as Parquet' +
    ' segments and commits them; the re-run finds every version stored and writes nothing |' +
    ' open a new database file, `CREATE TABLE examples AS SELECT * FROM read_parquet(...)`,' +
    ' `CHECKPOINT` | `COPY examples FROM \'examples.csv\'` into an empty table, then btree indexes on' +
    ' `(key, labeled_at DESC)`, `(weather)` and `(camera)` |');
  L(`| Snapshot | \`cairn snapshot create bench --where "${kWhere}" --split ${splitArg} --seed S\`:` +
    ' latest version per key, filter, split by an XXH3 hash of the group, per split a sorted key' +
    ' list and a sorted Parquet versions table stored as blobs, recorded in the catalog |' +
    ' over `read_parquet(\'examples.parquet\')`: `QUALIFY row_number() OVER (PARTITION BY key' +
    ' ORDER BY labeled_at DESC) = 1`, the filter, split from `hash("group", S) % 100` into a temp' +
    ' table; per split `COPY ... ORDER BY key` to Parquet (snappy) and the keys to a text file |' +
    ' over the loaded, analyzed table: `SELECT DISTINCT ON (key) * ... ORDER BY key, labeled_at' +
    ' DESC`, the filter, split from `abs(hashtext(grp \\|\\| S)) % 100` into a temp table; per split' +
    ' `\\copy (... ORDER BY key)` to CSV and the keys to a text file |');
  L();
  L('cairn is timed from process start to exit (the time it reports itself is in the notes),');
  L('DuckDB from opening the database to closing it, PostgreSQL from `psql` start to exit.');
  L('Each repetition of a snapshot uses another seed, so cairn really creates a new snapshot every');
  L('time. Peak memory: cairn and DuckDB the max RSS of the process (`/usr/bin/time -f %M`,');
  L('`process.resourceUsage()`, the latter including Node.js); PostgreSQL the peak RSS (`VmHWM`)');
  L('of the server process serving the session, shared buffers included, parallel workers not.');
  L();
  L('## Results');

  const table = (op, title, unit) => {
    const rows = results[op];
    if (!rows) return;
    const ref = rows[0];
    L();
    L(`### ${title}`);
    L();
    L(`| tool | best (s) | median (s) | ${unit} (best) | ratio tool/cairn | median ratio | peak memory | notes |`);
    L('|---|---:|---:|---:|---:|---:|---:|---|');
    for (const r of rows) {
      const b = best(r);
      const m = median(r.times);
      const isRef = r === ref;
      const isCairn = r.tool.startsWith('cairn');
      const ratio = isCairn ? '-' : `**${(b / best(ref)).toFixed(2)}**`;
      const mratio = isCairn ? '-' : (m / median(ref.times)).toFixed(2);
      const notes = [];
      if (r.inner) {
        notes.push(`cairn reports ${Math.min(...r.inner).toFixed(3)} s (best)`);
      }
      if (!isRef && isCairn) notes.push(`${(b / best(ref) * 100).toFixed(0)}% of the first ingest`);
      if (r.note) notes.push(r.note);
      if (r === results.ingest?.find((x) => x.tool === 'PostgreSQL') && pgAnalyze != null) {
        notes.push(`then \`ANALYZE\` (not timed): ${pgAnalyze.toFixed(1)} s`);
      }
      const peak = Math.max(...r.peaks.map((p) => p || 0)) || null;
      L(`| ${r.tool} | ${b.toFixed(3)} | ${m.toFixed(3)} | ${fmtInt(Math.round(args.versions / b))} |` +
        ` ${ratio} | ${mratio} | ${kibToMib(peak)} | ${notes.join('; ')} |`);
    }
  };
  table('ingest', `Ingest ${fmtInt(args.versions)} versions from Parquet`, 'versions/s');
  table('snapshot', `Snapshot of ${fmtInt(args.versions)} versions (${fmtInt(keys)} keys)`,
        'input versions/s');

  L();
  L('### Selected rows');
  L();
  const allSame = selected.slice(1).every((x) => sameKeys(selected[0], x));
  L(allSame ? 'Every tool selects the same examples (the same set of keys); the split sizes differ'
            : '**The tools select different examples** (see the check column); split sizes differ');
  L(`because each tool hashes the group with its own function (seed ${kSeedBase + args.repeat - 1}).`);
  L();
  L('| tool | selected | ' + kSplits.map(([n]) => n).join(' | ') + ' | check |');
  L('|---|---:|' + kSplits.map(() => '---:|').join('') + '---|');
  for (const s of selected) {
    L(`| ${s.tool} | ${fmtInt(s.total)} | ` + kSplits.map(([n]) => fmtInt(s.splits[n])).join(' | ') +
      ` | ${s.check} |`);
  }

  const cSnapBest = best(cairnSnap);
  const dSnapRow = results.snapshot.find((r) => r.tool === 'DuckDB');
  const pSnapRow = results.snapshot.find((r) => r.tool === 'PostgreSQL');
  const rate = args.versions / best(cairnIngest);
  const verdict = (ok) => (ok ? 'met' : '**missed**');
  L();
  L('## Goals');
  L();
  L('| goal | measured (best runs) | |');
  L('|---|---|---|');
  L(`| ingest at least 1M versions/s | ${fmtInt(Math.round(rate))} versions/s | ${verdict(rate >= 1e6)} |`);
  if (dSnapRow) {
    const x = best(dSnapRow) / cSnapBest;
    L(`| snapshot at least as fast as DuckDB | DuckDB/cairn ${x.toFixed(2)} | ${verdict(x >= 1)} |`);
  }
  if (pSnapRow) {
    const x = best(pSnapRow) / cSnapBest;
    L(`| snapshot at least 10x faster than PostgreSQL | PostgreSQL/cairn ${x.toFixed(2)} | ${verdict(x >= 10)} |`);
  }
  L();
  L('## Reproduce');
  L();
  L('```sh');
  L('npm ci --prefix tests/duckdb   # DuckDB for Node.js, pinned in tests/duckdb/package-lock.json');
  L(`bench/run-store.sh${args.quick ? ' --quick' : ''}    # builds cairn (Release), generates data into build/bench-data/store/, writes this file`);
  L('```');
  L();
  L('PostgreSQL 15 (`scripts/install-deps.sh`) is started on a free loopback port for the run and');
  L('stopped after it; `--no-postgres` leaves it out. `bench/run-store.sh --quick` uses 1M versions');
  L(`for a fast check while developing; the numbers above come from ${fmtInt(args.versions)} versions.`);
  const md = lines.join('\n') + '\n';
  fs.mkdirSync(path.dirname(args.out), {recursive: true});
  fs.writeFileSync(args.out, md);
  console.log(md);
}

if (process.argv[2] === '--duckdb-child') {
  duckdbChild(process.argv[3], JSON.parse(process.argv[4])).catch((e) => die(e.stack || String(e)));
} else {
  main(parseArgs(process.argv.slice(2))).catch((e) => die(e.stack || String(e)));
}
