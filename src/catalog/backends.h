#pragma once

// Constructors of the two backends, called by Connect (catalog.cc). Not part of the public
// interface: callers go through Connect or OpenCatalog.

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "catalog/catalog.h"

namespace cairn::catalog::internal {

/// Opens (creating if missing) the SQLite database at `path` in WAL mode with foreign keys
/// on and the busy timeout of `options`. kIOError if it cannot be opened.
Result<std::unique_ptr<Connection>> ConnectSqlite(const std::string& path,
                                                  const OpenOptions& options);

/// Connects to PostgreSQL with the libpq URI `uri`. kIOError if the server cannot be reached
/// or refuses the connection.
Result<std::unique_ptr<Connection>> ConnectPostgres(std::string_view uri,
                                                    const OpenOptions& options);

}  // namespace cairn::catalog::internal
