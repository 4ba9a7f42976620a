#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "files/object_cache.h"
#include "files/pointer.h"

namespace cairn::store {
class ObjectStore;
}

namespace cairn::files {

class HashCache;
class ManifestIndex;

/// Settings of tracked-file operations.
struct FilesOptions {
  /// Threads for walking, hashing and linking (0: all cores).
  int threads = 0;
  /// Concurrent transfers for push and pull.
  int transfer_threads = 16;
  /// How checkout (and add, for the working copy) links files from the cache.
  LinkMode link = LinkMode::kAuto;
  /// Whether `link` was chosen explicitly: checkout then also re-links files whose content is
  /// right but whose link kind differs.
  bool link_explicit = false;
  /// Checkout: overwrite modified files and remove untracked ones even when their content is
  /// not in the cache.
  bool force = false;
  /// Status and pull: re-hash cache objects (status reports damaged ones, pull refetches them).
  bool verify = false;
  /// The remote object store URI (s3://..., file://..., a directory); empty: none.
  std::string remote;
};

/// What `add` did for one path.
struct AddResult {
  std::string pointer;  // the pointer file, relative to the workspace root
  PointerKind kind = PointerKind::kFile;
  std::string sha256;
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t hashed = 0;  // files read and hashed (the others came from the hash cache)
  int64_t stored = 0;  // objects new to the cache
};

/// How one tracked path compares with its pointer file.
struct StatusResult {
  std::string pointer;  // relative to the workspace root
  PointerKind kind = PointerKind::kFile;
  int64_t files = 0;
  /// The directory's manifest (or the file's object) is not in the cache: a directory cannot
  /// be compared; `cairn pull` fetches it.
  bool missing_from_cache = false;
  /// Paths relative to the tracked directory ("" for a tracked file), sorted by PathLess.
  std::vector<std::string> modified, added, deleted;
  int64_t hashed = 0;  // files read and hashed
  /// With FilesOptions::verify: objects absent from, or damaged in, the cache (ids).
  std::vector<std::string> objects_missing, objects_corrupt;
  bool up_to_date() const {
    return !missing_from_cache && modified.empty() && added.empty() && deleted.empty();
  }
};

/// What `checkout` did for one pointer.
struct CheckoutResult {
  std::string pointer;
  int64_t written = 0;    // files created or replaced from the cache
  int64_t unchanged = 0;  // files already right
  int64_t removed = 0;    // files not in the pointer whose content is in the cache
  int64_t refetched = 0;  // objects fetched again from the remote
  /// Files left alone: modified, or untracked, with content not in the cache (use --force).
  std::vector<std::string> conflicts, untracked;
  /// Objects missing from (or damaged in) the cache that no remote could supply.
  std::vector<std::string> unavailable;
  bool ok() const { return conflicts.empty() && unavailable.empty(); }
};

/// What push or pull transferred.
struct TransferResult {
  int64_t objects = 0;      // objects the pointers need
  int64_t transferred = 0;  // objects copied
  int64_t bytes = 0;        // bytes copied
  /// Objects the source side lacks (push: local cache; pull: the remote).
  std::vector<std::string> missing;
  /// Objects whose content did not match their id (not transferred).
  std::vector<std::string> corrupt;
  bool ok() const { return missing.empty() && corrupt.empty(); }
};

/// Large files and directories tracked by pointer files (docs/files.md): content in a local
/// content-addressed cache, optionally synced with a remote object store. Paths given to the
/// methods are absolute or relative to the current directory and must lie inside the
/// workspace root (kInvalidArgument otherwise). Not thread-safe; the methods use
/// `options.threads` threads internally.
class TrackedFiles {
 public:
  /// Opens tracked-file state for the workspace at `root`, whose object store is `store_uri`:
  /// the cache is that directory when the store is local, else <root>/.cairn/cache.
  static Result<std::unique_ptr<TrackedFiles>> Open(const std::string& root,
                                                    const std::string& store_uri,
                                                    FilesOptions options);
  ~TrackedFiles();
  TrackedFiles(const TrackedFiles&) = delete;
  TrackedFiles& operator=(const TrackedFiles&) = delete;

  /// Hashes files and directories (only files whose stat tuple changed are read), stores
  /// their content in the cache, links the working copies to it and writes <path>.cairn.
  Result<std::vector<AddResult>> Add(const std::vector<std::string>& paths);
  /// Compares tracked paths (all pointer files in the workspace when `paths` is empty; a
  /// directory stands for the pointer files under it) with their pointer files.
  Result<std::vector<StatusResult>> Check(const std::vector<std::string>& paths);
  /// Makes the working tree match the pointer files (see CheckoutResult).
  Result<std::vector<CheckoutResult>> Checkout(const std::vector<std::string>& paths);
  /// Uploads the objects the pointer files need that the remote lacks.
  Result<TransferResult> Push(const std::vector<std::string>& paths);
  /// Downloads (and verifies) the objects the pointer files need that the cache lacks.
  Result<TransferResult> Pull(const std::vector<std::string>& paths);
  /// Replaces linked working files under `paths` by writable copies; returns how many.
  Result<int64_t> Unprotect(const std::vector<std::string>& paths);

  /// Warnings collected so far (a discarded hash cache, executable files copied).
  const std::vector<std::string>& warnings() const { return warnings_; }
  ObjectCache& cache() { return *cache_; }

 private:
  struct Target;
  struct Item;
  TrackedFiles() = default;
  Result<Target> Resolve(const std::string& path, bool for_add) const;
  Result<std::vector<Target>> Pointers(const std::vector<std::string>& paths) const;
  Result<Pointer> ReadPointer(const Target& t) const;
  Result<std::vector<ManifestEntry>> Entries(const Target& t, const Pointer& p, bool fetch);
  Result<std::unique_ptr<ManifestIndex>> Index(const Target& t, const Pointer& p);
  Result<Sha256Digest> DigestOf(Item& item, int64_t* hashed, size_t* cursor = nullptr);
  Result<store::ObjectStore*> Remote();
  Status Fetch(const std::string& hex);
  Result<AddResult> AddOne(const Target& t);
  Result<StatusResult> CheckOne(const Target& t);
  Result<CheckoutResult> CheckoutOne(const Target& t);
  Result<std::vector<std::pair<std::string, int64_t>>> NeededObjects(
      const std::vector<Target>& targets, bool fetch_manifests);

  std::string root_;
  FilesOptions options_;
  std::unique_ptr<ObjectCache> cache_;
  std::unique_ptr<HashCache> hashes_;
  std::string index_dir_;  // manifest indexes (.cairn/manifest-index)
  std::unique_ptr<store::ObjectStore> remote_;
  std::vector<std::string> warnings_;
};

}  // namespace cairn::files
