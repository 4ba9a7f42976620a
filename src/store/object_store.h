#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn::store {

/// One object in a listing.
struct ObjectInfo {
  std::string key;           // relative to the store's root, slash-separated
  int64_t size = 0;          // bytes
  int64_t mtime_micros = 0;  // when the object was last written, microseconds since the epoch
};

/// A flat namespace of immutable byte objects named by keys: slash-separated relative paths
/// ("blobs/ab/cdef..."). A key is non-empty, does not start or end with '/', has no empty,
/// "." or ".." segment and no NUL or backslash; every operation rejects other keys with
/// kInvalidArgument before touching storage.
///
/// Consistency: Put and PutFile are atomic: a reader sees either the previous object or the
/// whole new one, never a partial write. Implementations are thread-safe: every method may be
/// called concurrently from several threads; concurrent Puts of one key leave one of them.
///
/// Errors: kNotFound for a missing object (Get, GetToFile, Size), kIOError for a failure of the
/// file system, the network or the server (the message names the key and, for S3, the HTTP
/// status and the S3 error code and message), kInvalidArgument for a bad key.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  /// Stores `data` under `key`, replacing any existing object atomically.
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  /// Returns the whole object; kNotFound if absent.
  virtual Result<std::string> Get(std::string_view key) = 0;
  /// Whether an object exists under `key`.
  virtual Result<bool> Exists(std::string_view key) = 0;
  /// Size of the object in bytes; kNotFound if absent.
  virtual Result<int64_t> Size(std::string_view key) = 0;
  /// Removes the object; an absent object is not an error.
  virtual Status Delete(std::string_view key) = 0;
  /// All objects whose key starts with `prefix` (plain string prefix; "" lists everything),
  /// sorted by key (byte order).
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;
  /// Uploads the local file at `path` to `key` without holding it in memory; atomic like Put.
  /// kNotFound if the local file is missing.
  virtual Status PutFile(std::string_view key, const std::string& path) = 0;
  /// Downloads `key` into the local file `path` (written atomically: temp file + rename), without
  /// holding it in memory; kNotFound if the object is absent (then `path` is untouched).
  virtual Status GetToFile(std::string_view key, const std::string& path) = 0;
  /// The URI this store was opened with ("file:///data/store", "s3://bucket/prefix", "mem://").
  virtual const std::string& uri() const = 0;
  /// Deletes the leftovers of writes that never finished (a process killed mid-write) whose
  /// last change is before `older_than_micros` (microseconds since the epoch) and returns how
  /// many bytes went. Only the directory store has such files (`<name>.tmp-<random>`); S3 and
  /// memory stores have none and return 0.
  virtual Result<int64_t> RemoveStaleTemporaries(int64_t older_than_micros) {
    (void)older_than_micros;
    return int64_t{0};
  }
};

/// Checks `key` against the rules above; kInvalidArgument naming the key and the rule broken.
Status ValidateKey(std::string_view key);

/// A new, empty in-memory store (the fake for unit tests). Thread-safe.
std::unique_ptr<ObjectStore> NewMemoryStore();

/// A store over the local directory `root` (created if missing). Objects are files under root;
/// writes go to a temp file in the destination directory, are fsynced and renamed into place.
/// Temp files ("<name>.tmp-<random>") are never listed. kIOError if `root` cannot be created.
Result<std::unique_ptr<ObjectStore>> OpenFileStore(const std::string& root);

/// Opens a store by URI:
///   "mem://"                   a new in-memory store (every call gives a fresh, empty one)
///   "file:///abs/path"         a directory (OpenFileStore)
///   "/abs/path", "rel/path"    the same, as a plain path
///   "s3://bucket[/prefix]"     objects under `prefix/` in an S3 bucket (see s3_store.h)
/// kInvalidArgument for an unknown scheme or a malformed URI.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri);

}  // namespace cairn::store
