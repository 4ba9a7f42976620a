#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/object_store.h"

namespace cairn::store {

/// Settings of a BlobStore.
struct BlobStoreOptions {
  /// CollectGarbage never removes a blob written less than this long ago (microseconds), so
  /// that a blob uploaded by a writer that has not yet recorded it in the catalog survives.
  int64_t gc_grace_micros = int64_t{24} * 3600 * 1000000;
  /// The clock (microseconds since the epoch) CollectGarbage compares object times with;
  /// NowMicros when empty. Tests inject a fake.
  std::function<int64_t()> clock;
};

/// One stored blob.
struct BlobInfo {
  std::string id;  // lowercase hex SHA-256 of the content (64 characters)
  int64_t size = 0;
  int64_t mtime_micros = 0;
};

/// What Verify found.
struct BlobVerifyReport {
  int64_t checked = 0;               // blobs read and hashed
  std::vector<std::string> corrupt;  // ids whose content no longer hashes to the id, sorted
  std::vector<std::string> missing;  // ids expected by the caller but absent, sorted
  std::vector<std::string> stray;    // keys under "blobs/" that are not blob paths, sorted
};

/// What CollectGarbage removed (or, with dry_run, would remove).
struct GarbageReport {
  std::vector<BlobInfo> removed;  // sorted by id
  int64_t removed_bytes = 0;
  int64_t kept_live = 0;    // blobs in the live set
  int64_t kept_recent = 0;  // unreferenced blobs younger than the grace period
  /// Bytes of unfinished writes (directory store temp files) older than the grace period
  /// that were removed (never with dry_run).
  int64_t removed_temporary_bytes = 0;
};

/// Content-addressed blobs on top of an ObjectStore: a blob's id is the lowercase hex SHA-256
/// of its bytes and it is stored at "blobs/<id[0:2]>/<id[2:]>". Blobs are immutable; writing
/// the same bytes twice stores them once.
///
/// Thread-safe when the underlying store is (all ObjectStore implementations are). Does not
/// own the store, which must outlive it.
class BlobStore {
 public:
  explicit BlobStore(ObjectStore* store, BlobStoreOptions options = {});

  /// Stores `data` unless a blob with its hash already exists (then nothing is written, unless
  /// the existing copy is older than half the GC grace period, or has another size — a partial
  /// upload kept by a server whose writer died: it is then rewritten with the same bytes);
  /// returns the id. Errors of the store are passed on.
  Result<std::string> PutBlob(std::string_view data);
  /// Hashes the local file at `path` while streaming it, then uploads it with
  /// ObjectStore::PutFile unless the blob exists (with the same refresh rule as PutBlob);
  /// returns the id. The file must not change
  /// during the call. kNotFound if the file is missing.
  Result<std::string> PutBlobFile(const std::string& path);
  /// Returns the blob's bytes after checking that they hash to `id`: kCorrupt naming the id
  /// on a mismatch, kNotFound if absent, kInvalidArgument if `id` is not 64 lowercase hex.
  Result<std::string> GetBlob(std::string_view id);
  /// Whether the blob exists (its content is not checked).
  Result<bool> HasBlob(std::string_view id);
  /// Removes the blob; an absent blob is not an error.
  Status DeleteBlob(std::string_view id);
  /// All blobs, sorted by id. Keys under "blobs/" that are not blob paths are skipped.
  Result<std::vector<BlobInfo>> ListBlobs();
  /// Reads and hashes every blob; reports corrupt ones, ids in `expected` that are absent and
  /// stray keys. Only errors of the store itself (not bad blobs) are returned as a Status.
  Result<BlobVerifyReport> Verify(const std::set<std::string>& expected = {});
  /// Deletes every blob whose id is not in `live_ids` and that was written more than
  /// options.gc_grace_micros ago, and the store's unfinished writes older than that
  /// (ObjectStore::RemoveStaleTemporaries); with `dry_run` only reports what it would delete.
  /// The grace period protects blobs uploaded by writers that have not yet committed a
  /// reference to them: such a writer must commit within half the grace period (PutBlob
  /// refreshes copies older than that). The first failing
  /// delete stops the collection and is returned.
  Result<GarbageReport> CollectGarbage(const std::set<std::string>& live_ids, bool dry_run);

  /// Whether `id` is 64 lowercase hex characters.
  static bool IsValidId(std::string_view id);
  /// The object key of a blob: "blobs/ab/cdef..." (no validation).
  static std::string KeyOf(std::string_view id);

 private:
  // Whether the blob at `key` must be (re)written: absent, not `size` bytes long (a damaged
  // copy), or older than half the grace period.
  Result<bool> NeedsWrite(const std::string& key, int64_t size);

  ObjectStore* store_;
  BlobStoreOptions options_;
};

}  // namespace cairn::store
