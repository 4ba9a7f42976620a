#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/result.h"

namespace cairn::files {

/// How a working file is made from a cache object.
enum class LinkMode {
  kAuto,      // reflink, else hardlink, else copy
  kReflink,   // a copy-on-write clone (FICLONE): independent file, no extra space
  kHardlink,  // the same inode as the cache object (read-only)
  kSymlink,   // a symbolic link to the cache object (which is read-only)
  kCopy,      // an ordinary copy, hashed while copying
};

/// "auto", "reflink", "hardlink", "symlink", "copy".
std::string_view LinkModeName(LinkMode mode);
/// Parses a LinkModeName; kInvalidArgument naming the accepted values otherwise.
Result<LinkMode> ParseLinkMode(std::string_view text);

/// The key prefix of tracked-file objects in a cache or a remote store ("files/ab/cdef...").
/// Distinct from the catalog's "blobs/", so that `cairn gc` (which collects unreferenced
/// blobs) never removes tracked data.
inline constexpr std::string_view kObjectPrefix = "files/";

/// The key of an object: "files/<hex[0:2]>/<hex[2:]>".
std::string ObjectKey(std::string_view hex);

/// A local directory of content-addressed, read-only objects at <root>/files/ab/cdef...,
/// named by the SHA-256 of their bytes, and the ways of linking them into a working tree.
/// Thread-safe: every method may be called concurrently.
class ObjectCache {
 public:
  /// Opens (creating it and its 256 fan-out directories if needed) the cache at `root`.
  static Result<std::unique_ptr<ObjectCache>> Open(const std::string& root);

  const std::string& root() const { return root_; }
  /// The absolute path of an object (whether or not it exists).
  std::string PathOf(std::string_view hex) const;
  /// The object's size, or nullopt when it is absent. kIOError on other failures.
  Result<std::optional<int64_t>> SizeOf(std::string_view hex) const;
  /// Reads and hashes the object. kNotFound if absent.
  Result<Sha256Digest> HashObject(std::string_view hex) const;
  /// Reads the object and checks its hash: kCorrupt naming the object on a mismatch.
  Result<std::string> ReadVerified(std::string_view hex) const;
  /// Stores `data` (whose SHA-256 is `hex`) unless present.
  Status PutBytes(std::string_view hex, std::string_view data);

  /// Stores the content of the working file `working` (which hashes to `hex`) unless the
  /// object exists, by `mode`: reflink clones it, hardlink links it (the working file then is
  /// the read-only object), symlink moves it into the cache and leaves a link behind, copy
  /// copies it (checking the hash). Executable files are never hardlinked or moved (the
  /// object's mode is shared). Returns the mode used (kAuto falls back as documented), or
  /// nullopt when the object already existed. kCorrupt if a copy does not hash to `hex` (the
  /// file changed while being added).
  Result<std::optional<LinkMode>> Insert(const std::string& working, std::string_view hex,
                                         bool executable, LinkMode mode);

  /// Makes `dest` hold the object `hex` of `size` bytes by `mode`, replacing any file there
  /// atomically (temporary file in the same directory + rename) and creating parent
  /// directories. Copies are hashed while copying and links checked for size: kCorrupt when
  /// the object is damaged (dest is then untouched), kNotFound when it is absent,
  /// kUnsupported when an explicit mode is impossible (e.g. reflink on ext4). Executable files
  /// are never hardlinked (reflink, else copy). Returns the mode used.
  Result<LinkMode> Materialize(std::string_view hex, int64_t size, bool executable,
                               const std::string& dest, LinkMode mode);

  /// A fresh temporary path inside the cache (for downloads).
  std::string TempPath();
  /// Moves the finished download `tmp` into place as object `hex` after hashing it: on a
  /// mismatch `tmp` is removed and kCorrupt returned.
  Status InstallVerified(const std::string& tmp, std::string_view hex);
  /// Removes a damaged object (so that it can be fetched again).
  Status Remove(std::string_view hex);
  /// Makes the objects `ids` durable before a pointer that names them is written: fsync of
  /// each object and its directory when there are few, else one syncfs of the cache's file
  /// system (cheaper than a million fsyncs).
  Status Sync(const std::vector<std::string>& ids);

 private:
  explicit ObjectCache(std::string root) : root_(std::move(root)) {}
  Status Reflink(const std::string& from, const std::string& to) const;
  Status CopyVerified(const std::string& from, const std::string& to, std::string_view hex,
                      unsigned mode) const;
  std::string TempBeside(const std::string& path);

  std::string root_;
  std::atomic<uint64_t> counter_{0};
  std::atomic<bool> reflink_works_{true};
};

/// SHA-256 of the whole file at `path` (kNotFound if missing).
Result<Sha256Digest> HashFile(const std::string& path);

}  // namespace cairn::files
