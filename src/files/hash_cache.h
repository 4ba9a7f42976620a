#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
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
  ~HashCache();
  HashCache(const HashCache&) = delete;
  HashCache& operator=(const HashCache&) = delete;

  /// Loads the file at the cache's path (call once, before any other method). A missing file
  /// gives an empty cache; a damaged one (bad magic, truncated, checksum mismatch) is
  /// discarded, also giving an empty cache, and `warning()` says why: the cache only saves
  /// work, it never decides an outcome on its own.
  void Load();

  /// The digest recorded for `path` with exactly `stat`, if any and not racy.
  ///
  /// `cursor`, when given, makes lookups in sorted order cheap: it holds the position after
  /// the previous lookup's entry (start each sequence at 0; one cursor per thread), and an
  /// entry found there is used without probing the hash index (which is built on the first
  /// lookup that needs it). `known`, when given, receives whether `path` has an entry.
  std::optional<Sha256Digest> Lookup(std::string_view path, const FileStat& stat,
                                     size_t* cursor = nullptr, bool* known = nullptr) const;
  /// Number of loaded entries whose path starts with `prefix`.
  size_t CountUnder(std::string_view prefix) const;
  /// Records (or replaces) the digest of `path`. Thread-safe.
  void Record(std::string path, const FileStat& stat, const Sha256Digest& digest);
  /// Drops, at Save, every loaded entry whose path starts with `prefix`, that no Lookup found
  /// and that was not recorded again (after a directory was walked completely and each of its
  /// files looked up: the entries of files no longer there). Thread-safe.
  void DropUnder(std::string prefix);

  /// Whether Save would write anything.
  bool dirty() const { return !added_.empty() || !dropped_.empty(); }
  /// Number of loaded entries.
  size_t loaded_size() const { return count_; }
  /// Why a damaged cache file was discarded on Load (empty if it was not).
  const std::string& warning() const { return warning_; }

  /// Writes loaded entries merged with recorded ones (recorded win) to the cache's path,
  /// atomically (temporary file + rename; not fsynced: a damaged cache is discarded on load).
  /// Does nothing when not dirty, and skips a small change to a large cache (see
  /// set_small_change()): reading those few files again next time costs less than rewriting
  /// the whole file. kIOError on failure.
  Status Save();

  /// A change of at most `files` recorded entries totalling at most `bytes` of file content,
  /// with nothing dropped, is not saved when the loaded file is at least `cache_bytes` long.
  /// Defaults: 64 files, 16 MiB, 32 MiB (a cache of about 300k entries).
  void set_small_change(size_t files, int64_t bytes, size_t cache_bytes) {
    small_files_ = files;
    small_bytes_ = bytes;
    small_cache_bytes_ = cache_bytes;
  }

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
  void BuildIndex() const;
  std::optional<size_t> Find(std::string_view path) const;
  size_t LowerBound(std::string_view path) const;

  std::string path_;
  // The loaded file, mapped read-only (munmap'ed by the destructor).
  const char* data_ = nullptr;
  size_t size_ = 0;
  size_t count_ = 0;
  int64_t written_at_ns_ = 0;
  // Open addressing on XXH3 of the path; entry index + 1, 0 = empty. Built lazily.
  mutable std::once_flag index_once_;
  mutable std::vector<uint32_t> index_;
  mutable uint64_t index_mask_ = 0;
  // Per loaded entry: whether a Lookup found its path.
  mutable std::unique_ptr<std::atomic<uint8_t>[]> seen_;
  std::mutex mu_;
  std::vector<NewEntry> added_;
  std::vector<std::string> dropped_;
  std::string warning_;
  size_t small_files_ = 64;
  int64_t small_bytes_ = int64_t{16} << 20;
  size_t small_cache_bytes_ = size_t{32} << 20;
};

}  // namespace cairn::files
