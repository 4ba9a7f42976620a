#pragma once

// Versioned schema migrations of the catalog. Each migration is written in the common SQL
// dialect of docs/catalog.md and applied once, in version order, inside one transaction that
// also records it in the table `schema_migrations(version, name, applied_at)`.

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "catalog/catalog.h"

namespace cairn::catalog {

/// One schema change. Versions start at 1 and increase by one; a released migration is
/// never edited (add a new one instead).
struct Migration {
  int64_t version = 0;
  /// A short snake_case description, recorded with the version and checked on every open.
  std::string_view name;
  /// The statements, separated by semicolons, in the common dialect.
  std::string_view sql;
};

/// The migrations of cairn's own schema, in version order (v1: datasets, commits,
/// commit_segments, snapshots; v2: commit summaries, dataset tags, snapshot splits; v3: runs,
/// their params, metric series and tags; v4: run artifacts, models, their versions, aliases,
/// alias history and evaluations; v5: pipeline runs, stage runs and the run cache; v6: numeric
/// params, latest metrics and key indexes for `run list`; v7: pipeline schedule claims and
/// subscription positions; v8: metric series as packed chunks;
/// see docs/catalog.md). The list lives for the whole program.
const std::vector<Migration>& CoreMigrations();

/// The advisory lock key that serializes migrations on PostgreSQL.
inline constexpr int64_t kMigrationLockKey = 0x636169726e6d6967;  // "cairnmig"

/// Brings the schema of `conn`'s database up to the last of `migrations` (which must be in
/// increasing version order, from 1, without gaps: kInternal otherwise). In one transaction
/// (BEGIN IMMEDIATE on SQLite, plus pg_advisory_xact_lock(kMigrationLockKey) on
/// PostgreSQL, so concurrent openers from any thread or process wait for each other and
/// apply each migration exactly once): creates `schema_migrations` if missing, checks the
/// applied versions, runs every pending migration and records it. Errors: kUnsupported if
/// the database has a version newer than the last of `migrations` ("upgrade cairn"),
/// kCorrupt if a recorded version has a different name than the binary's, or the failing
/// statement's error (nothing is applied then). `conn` must have no open transaction. Not
/// thread-safe (uses `conn`).
Status ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations);

/// The highest applied migration version, 0 for a database without `schema_migrations`.
Result<int64_t> SchemaVersion(Connection& conn);

}  // namespace cairn::catalog
