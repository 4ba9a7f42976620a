// Regenerates the Parquet golden files in this folder with DuckDB (Node.js client
// @duckdb/node-api). Run from this folder: NODE_PATH=<dir with node_modules> node generate.js
// The *.csv files are DuckDB's own export of the same rows (timestamps as epoch integers,
// NULL as \N); reader_test.cc compares what cairn reads against them.
const duckdb = require("@duckdb/node-api");

const kMixed = `
SELECT
  i::BIGINT AS id,
  CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 37 % 2001 - 1000)::INTEGER END AS i32,
  (i % 200 - 100)::SMALLINT AS i16,
  (i % 256)::UTINYINT AS u8,
  (4294967295 - i * 12345)::UINTEGER AS u32,
  (i * 1000000007)::UBIGINT AS u64,
  ((i % 64 - 32) / 4.0)::FLOAT AS f32,
  CASE WHEN i % 11 = 5 THEN NULL ELSE i / 7.0 END::DOUBLE AS f64,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 13 = 0 THEN NULL ELSE ['red', '', 'grün', 'blue'][i % 4 + 1] END AS color,
  'key-' || (i * 7919 % 100003)::VARCHAR AS key,
  CASE WHEN i % 9 = 4 THEN NULL
       ELSE TIMESTAMP '2021-03-04 05:06:07' + to_microseconds(i * 1234567) END AS ts,
  (TIMESTAMP '1969-12-31 23:00:00' + to_seconds(i * 61))::TIMESTAMP_MS AS ts_ms,
  make_timestamp_ns(1614816000000000000 + i * 1000000007) AS ts_ns,
  DATE '1969-12-25' + i::INTEGER AS d
FROM range(6144) r(i)
-- Filtering each 2048-row vector down to 400 rows makes DuckDB cut 400-row row groups.
WHERE i % 2048 < 400`;

const kMixedExpected = `
SELECT id, i32, i16, u8, u32, u64, f32, f64, b, color, key, epoch_us(ts) AS ts,
       epoch_ms(ts_ms) AS ts_ms, epoch_ns(ts_ns) AS ts_ns, epoch_us(d::TIMESTAMP) AS d
FROM (${kMixed})`;

(async () => {
  const inst = await duckdb.DuckDBInstance.create(":memory:");
  const con = await inst.connect();
  const run = (sql) => con.run(sql);
  await run("SET threads = 1");
  const copy = (query, file, opts) =>
    run(`COPY (${query}) TO '${file}' (FORMAT parquet, ${opts})`);

  await copy(kMixed, "mixed_v1_snappy.parquet", "COMPRESSION snappy, ROW_GROUP_SIZE 400");
  await copy(kMixed, "mixed_v1_zstd.parquet", "COMPRESSION zstd, ROW_GROUP_SIZE 400");
  await copy(kMixed, "mixed_v1_uncompressed.parquet",
             "COMPRESSION uncompressed, ROW_GROUP_SIZE 400");
  await copy(kMixed, "mixed_v2_snappy.parquet",
             "COMPRESSION snappy, ROW_GROUP_SIZE 400, PARQUET_VERSION V2");
  await copy(kMixed, "mixed_v2_zstd.parquet",
             "COMPRESSION zstd, ROW_GROUP_SIZE 400, PARQUET_VERSION V2");
  await run(`COPY (${kMixedExpected}) TO 'mixed.csv' (HEADER, NULLSTR '\\N')`);

  // Five row groups of 400 rows, ids [0, 400), [2048, 2448), ... [8192, 8592), sorted;
  // score is NULL from id 4096 on.
  await copy(`SELECT i::BIGINT AS id, 'name' || lpad(i::VARCHAR, 5, '0') AS name,
                     CASE WHEN i >= 4096 THEN NULL ELSE i / 2.0 END AS score
              FROM range(10240) r(i) WHERE i % 2048 < 400`,
             "sorted.parquet", "COMPRESSION snappy, ROW_GROUP_SIZE 400");

  // Columns cairn does not read, next to readable ones.
  await copy(`SELECT i::INTEGER AS id, [i, i + 1] AS tags, i * 10 AS z FROM range(3) r(i)`,
             "list.parquet", "COMPRESSION uncompressed");
  await copy(`SELECT i::INTEGER AS id, {'a': i, 'b': 'x' || i::VARCHAR} AS s, i * 10 AS z
              FROM range(3) r(i)`, "struct.parquet", "COMPRESSION uncompressed");
  await copy(`SELECT i::INTEGER AS id, (i * 1.25)::DECIMAL(10, 2) AS price FROM range(3) r(i)`,
             "decimal.parquet", "COMPRESSION uncompressed");
  await copy(`SELECT i::INTEGER AS id, gen_random_uuid() AS u FROM range(3) r(i)`,
             "uuid.parquet", "COMPRESSION uncompressed");
  await copy(`SELECT i::INTEGER AS id, TIME '01:02:03' AS t FROM range(3) r(i)`,
             "time.parquet", "COMPRESSION uncompressed");
  // UBIGINT values above INT64_MAX cannot be held by cairn's int64.
  await copy(`SELECT * FROM (VALUES (1::UBIGINT), (18446744073709551615::UBIGINT)) t(big)`,
             "ubigint_max.parquet", "COMPRESSION uncompressed");
  // One dictionary-encoded string column, uncompressed, for the corrupt-index test.
  await copy(`SELECT ['a', 'b', 'c'][i % 3 + 1] AS s FROM range(100) r(i)`,
             "dictionary.parquet", "COMPRESSION uncompressed");
})();
