#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "catalog/catalog.h"
#include "store/blob_store.h"
#include "store/object_store.h"

namespace cairn::data {

/// The directory under a workspace root that holds cairn's own files.
inline constexpr std::string_view kWorkspaceDir = ".cairn";

/// How a workspace is found and opened.
struct WorkspaceOptions {
  /// The workspace root (the directory that contains .cairn/). Empty: $CAIRN_HOME, else the
  /// nearest directory at or above the current one that contains .cairn/.
  std::string home;
  /// Catalog URI. Empty: $CAIRN_CATALOG, else <root>/.cairn/catalog.db (SQLite).
  std::string catalog_uri;
  /// Object store URI. Empty: $CAIRN_STORE, else <root>/.cairn/objects (a directory).
  std::string store_uri;
  /// Blob garbage collection settings (grace period).
  store::BlobStoreOptions blob_options;
};

/// An open workspace: a catalog connection and a blob store. Used by one thread at a time
/// (its catalog connection is not thread-safe); the blob store may be used from many.
class Workspace {
 public:
  /// Creates <dir>/.cairn (and, with the defaults, its SQLite catalog and object directory),
  /// brings the catalog schema up to date and opens the workspace. Initialising an existing
  /// workspace is not an error (it only migrates). Environment overrides apply as in Open.
  static Result<std::unique_ptr<Workspace>> Init(const std::string& dir,
                                                 const WorkspaceOptions& options = {});
  /// Opens the workspace named by `options` (see WorkspaceOptions). kNotFound, with a hint to
  /// run `cairn init`, when there is none and the catalog and store are not both given.
  static Result<std::unique_ptr<Workspace>> Open(const WorkspaceOptions& options = {});

  catalog::Connection& catalog() { return *catalog_; }
  store::BlobStore& blobs() { return *blobs_; }
  store::ObjectStore& objects() { return *objects_; }
  /// The root directory, or empty when catalog and store both came from the environment.
  const std::string& root() const { return root_; }
  const std::string& catalog_uri() const { return catalog_uri_; }
  const std::string& store_uri() const { return store_uri_; }

 private:
  static Result<std::unique_ptr<Workspace>> OpenAt(const std::string& root,
                                                   const WorkspaceOptions& options);
  std::string root_;
  std::string catalog_uri_;
  std::string store_uri_;
  std::unique_ptr<catalog::Connection> catalog_;
  std::unique_ptr<store::ObjectStore> objects_;
  std::unique_ptr<store::BlobStore> blobs_;
};

}  // namespace cairn::data
