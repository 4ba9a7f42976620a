#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/result.h"
#include "files/tree.h"

namespace cairn::files {

/// The content hashes of working files, keyed by path and FileStat: a file whose path and
/// stat tuple match an entry is not read again. Stored as one sorted binary file written
/// atomically (format in docs/files.md), loaded whole and indexed by a hash table, so a
/// million lookups cost a few hundred milliseconds and no database round trips.
///
/// A file changed twice within one file system timestamp tick keeps its tuple; as in git's
/// index, an entry whose mtime or ctime is not at least kRacyMarginNanos older than the time
/// the cache was written is distrusted ("racily clean") and the file is hashed again.
///
/// Lookup may be called from many threads at once; Record and DropUnder too (they take a
/// lock). Save must not run concurrently with the others.
class HashCache {
 public:
  /// Timestamps this close to the cache's write time are not trusted.
  static constexpr int64_t kRacyMarginNanos = 50'000'000;

  /// An empty cache that will be saved to `path`.
  explicit HashCache(std::string path) : path_(std::move(path)) {}

  /// Loads the file at the cache's path (call once, before any other method). A missing file
  /// gives an empty cache; a damaged one (bad magic, truncated, checksum mismatch) is
  /// discarded, also giving an empty cache, and `warning()` says why: the cache only saves
  /// work, it never decides an outcome on its own.
  void Load();

  /// The digest recorded for `path` with exactly `stat`, if any and not racy.
  std::optional<Sha256Digest> Lookup(std::string_view path, const FileStat& stat) const;
  /// Records (or replaces) the digest of `path`. Thread-safe.
  void Record(std::string path, const FileStat& stat, const Sha256Digest& digest);
  /// Drops, at Save, every loaded entry whose path starts with `prefix` and that was not
  /// recorded again (the files under a directory that was walked completely). Thread-safe.
  void DropUnder(std::string prefix);

  /// Whether Save would write anything.
  bool dirty() const { return !added_.empty() || !dropped_.empty(); }
  /// Number of loaded entries.
  size_t loaded_size() const { return count_; }
  /// Why a damaged cache file was discarded on Load (empty if it was not).
  const std::string& warning() const { return warning_; }

  /// Writes loaded entries merged with recorded ones (recorded win) to the cache's path,
  /// atomically (temporary file + rename; not fsynced: a damaged cache is discarded on load).
  /// Does nothing when not dirty. kIOError on failure.
  Status Save();

 private:
  struct NewEntry {
    std::string path;
    FileStat stat;
    Sha256Digest digest;
  };
  struct View {
    std::string_view path;
    const char* record;  // 80-byte fixed record in buffer_
  };
  View EntryAt(size_t i) const;
  void BuildIndex();

  std::string path_;
  std::string buffer_;  // the loaded file
  size_t count_ = 0;
  int64_t written_at_ns_ = 0;
  std::vector<uint32_t> index_;  // open addressing; entry index + 1, 0 = empty
  uint64_t index_mask_ = 0;
  std::mutex mu_;
  std::vector<NewEntry> added_;
  std::vector<std::string> dropped_;
  std::string warning_;
};

}  // namespace cairn::files
