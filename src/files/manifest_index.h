#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/hash.h"
#include "base/result.h"

namespace cairn::files {

/// A directory manifest in binary form (docs/files.md, "The manifest index"): fixed-size
/// records in the manifest's order and the paths in one table, so that comparing a tracked
/// directory of a million files with its manifest needs neither reading and hashing the text
/// manifest nor a string per file. Index files live in a directory of the workspace
/// (`.cairn/manifest-index/<manifest sha256>`), are written atomically and checked by a
/// checksum when opened; they only save work: a missing or damaged one is rebuilt from the
/// manifest.
///
/// An index is immutable once built; its accessors may be called from many threads.
class ManifestIndex {
 public:
  ~ManifestIndex();
  ManifestIndex(const ManifestIndex&) = delete;
  ManifestIndex& operator=(const ManifestIndex&) = delete;

  /// Builds an index entry by entry, in PathLess order.
  class Builder {
   public:
    /// `count`: how many entries will be added (reserved up front).
    explicit Builder(size_t count);
    /// Appends one entry; `digest` is its 32-byte SHA-256.
    void Add(std::string_view path, const uint8_t* digest, int64_t size, bool executable);
    /// The text of the manifest listing the entries added so far (docs/files.md).
    std::string FormatManifest() const;
    /// The finished index of the manifest whose id is `manifest_hex`. `complete`: every object
    /// the manifest names was in the cache when the index was built (see complete()).
    std::unique_ptr<ManifestIndex> Finish(std::string_view manifest_hex, bool complete);

   private:
    std::string records_;
    std::string paths_;
    size_t count_ = 0;
  };

  /// The index of manifest `manifest_hex` stored in `dir`, or null when there is none or it
  /// is damaged (bad magic, size, checksum, or it describes another manifest); a damaged file
  /// is removed. `warning` (if given) receives why a damaged one was discarded.
  static std::unique_ptr<ManifestIndex> Open(const std::string& dir, std::string_view manifest_hex,
                                             std::string* warning = nullptr);
  /// Parses the text of manifest `manifest_hex` (checked as ParseManifest does; kCorrupt
  /// naming `name`, the line and the field).
  static Result<std::unique_ptr<ManifestIndex>> FromManifest(std::string_view text,
                                                             std::string_view manifest_hex,
                                                             std::string_view name);

  /// Writes the index to `dir`/<manifest id> (temporary file + rename; not fsynced: the index
  /// is a cache), then removes older index files in `dir`: the `keep` most recently written
  /// ones (this one included) stay, and older ones too while all those kept total at most
  /// `keep_bytes` (so that many small tracked directories keep theirs). kIOError.
  Status Write(const std::string& dir, size_t keep = kKeep, int64_t keep_bytes = kKeepBytes) const;
  /// How many index files Write keeps at least, by default.
  static constexpr size_t kKeep = 16;
  /// Up to how many bytes of index files Write keeps beyond those, by default.
  static constexpr int64_t kKeepBytes = int64_t{64} << 20;

  /// The id of the manifest this index describes.
  std::string_view manifest_hex() const { return manifest_hex_; }
  /// Number of entries.
  size_t size() const { return count_; }
  /// Whether every object named by the manifest was in the cache when the index was written
  /// (`cairn add` writes complete indexes; one built for `status` from a manifest pulled
  /// from elsewhere is not).
  bool complete() const { return complete_; }
  /// The path of entry `i` (relative to the directory).
  std::string_view path(size_t i) const;
  /// The 32-byte SHA-256 of entry `i`.
  const uint8_t* digest(size_t i) const;
  /// The size of entry `i`.
  int64_t file_size(size_t i) const;
  /// Whether entry `i` is executable.
  bool executable(size_t i) const;

 private:
  ManifestIndex() = default;
  static std::unique_ptr<ManifestIndex> Adopt(std::string bytes, std::string_view hex);

  std::string manifest_hex_;
  std::string owned_;    // the bytes, when built in memory
  void* map_ = nullptr;  // the bytes, when mapped from a file
  size_t map_size_ = 0;
  const char* data_ = nullptr;  // owned_ or map_
  size_t size_bytes_ = 0;
  size_t count_ = 0;
  bool complete_ = false;
};

/// The 32 bytes of a 64-character lowercase hex SHA-256 (which the caller has checked).
Sha256Digest DigestFromHex(std::string_view hex);

}  // namespace cairn::files
