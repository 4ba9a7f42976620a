#include "store/blob_store.h"

#include <algorithm>
#include <utility>

#include "base/file.h"
#include "base/hash.h"
#include "base/time.h"

namespace cairn::store {

namespace {

constexpr std::string_view kBlobPrefix = "blobs/";
constexpr int64_t kHashChunk = int64_t{1} << 20;

Status CheckId(std::string_view id) {
  if (BlobStore::IsValidId(id)) return Status::Ok();
  return Status::InvalidArgument("blob id '" + std::string(id) +
                                 "': not a SHA-256 (64 lowercase hex characters)");
}

// The id stored at `key` ("blobs/ab/cdef..."), or "" if the key is not a blob path.
std::string IdOfKey(std::string_view key) {
  if (!key.starts_with(kBlobPrefix)) return "";
  std::string_view rest = key.substr(kBlobPrefix.size());
  if (rest.size() != 65 || rest[2] != '/') return "";
  std::string id = std::string(rest.substr(0, 2)) + std::string(rest.substr(3));
  return BlobStore::IsValidId(id) ? id : "";
}

}  // namespace

BlobStore::BlobStore(ObjectStore* store, BlobStoreOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.clock) options_.clock = NowMicros;
}

bool BlobStore::IsValidId(std::string_view id) {
  return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string BlobStore::KeyOf(std::string_view id) {
  return std::string(kBlobPrefix) + std::string(id.substr(0, 2)) + "/" +
         std::string(id.substr(std::min<size_t>(2, id.size())));
}

Result<bool> BlobStore::NeedsWrite(const std::string& key, int64_t size) {
  // Keys of blobs have one length, so the listing holds at most this key.
  CAIRN_ASSIGN_OR_RETURN(auto objects, store_->List(key));
  if (objects.empty() || objects[0].key != key) return true;
  // A copy of another size is damaged (say, a partial upload that a server kept after its
  // writer died): writing the bytes again repairs it.
  if (objects[0].size != size) return true;
  // An old copy is rewritten so that a collection cannot remove it before the caller commits.
  return objects[0].mtime_micros < options_.clock() - options_.gc_grace_micros / 2;
}

Result<std::string> BlobStore::PutBlob(std::string_view data) {
  std::string id = Sha256Hex(data);
  std::string key = KeyOf(id);
  CAIRN_ASSIGN_OR_RETURN(bool write, NeedsWrite(key, static_cast<int64_t>(data.size())));
  if (write) CAIRN_RETURN_IF_ERROR(store_->Put(key, data));
  return id;
}

Result<std::string> BlobStore::PutBlobFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenSequentialFile(path));
  Sha256 hasher;
  std::string buffer(static_cast<size_t>(kHashChunk), '\0');
  int64_t size = 0;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n, file->Read(kHashChunk, buffer.data()));
    if (n == 0) break;
    hasher.Update(buffer.data(), static_cast<size_t>(n));
    size += n;
  }
  std::string id = ToHex(hasher.Finish());
  std::string key = KeyOf(id);
  CAIRN_ASSIGN_OR_RETURN(bool write, NeedsWrite(key, size));
  if (write) CAIRN_RETURN_IF_ERROR(store_->PutFile(key, path));
  return id;
}

Result<std::string> BlobStore::GetBlob(std::string_view id) {
  CAIRN_RETURN_IF_ERROR(CheckId(id));
  CAIRN_ASSIGN_OR_RETURN(std::string data, store_->Get(KeyOf(id)));
  std::string actual = Sha256Hex(data);
  if (actual != id) {
    return Status::Corrupt(store_->uri() + ": blob " + std::string(id) +
                           " is corrupt: its content hashes to " + actual);
  }
  return data;
}

Result<bool> BlobStore::HasBlob(std::string_view id) {
  CAIRN_RETURN_IF_ERROR(CheckId(id));
  return store_->Exists(KeyOf(id));
}

Status BlobStore::DeleteBlob(std::string_view id) {
  CAIRN_RETURN_IF_ERROR(CheckId(id));
  return store_->Delete(KeyOf(id));
}

Result<std::vector<BlobInfo>> BlobStore::ListBlobs() {
  CAIRN_ASSIGN_OR_RETURN(auto objects, store_->List(kBlobPrefix));
  std::vector<BlobInfo> out;
  for (auto& object : objects) {
    std::string id = IdOfKey(object.key);
    if (!id.empty()) out.push_back({std::move(id), object.size, object.mtime_micros});
  }
  // Keys sort like ids: the fan-out '/' sits at the same place in every key.
  return out;
}

Result<BlobVerifyReport> BlobStore::Verify(const std::set<std::string>& expected) {
  CAIRN_ASSIGN_OR_RETURN(auto objects, store_->List(kBlobPrefix));
  BlobVerifyReport report;
  std::set<std::string> present;
  for (const auto& object : objects) {
    std::string id = IdOfKey(object.key);
    if (id.empty()) {
      report.stray.push_back(object.key);
      continue;
    }
    auto data = GetBlob(id);
    ++report.checked;
    if (data.ok()) {
      present.insert(id);
    } else if (data.status().code() == StatusCode::kCorrupt) {
      present.insert(id);
      report.corrupt.push_back(id);
    } else if (data.status().code() != StatusCode::kNotFound) {  // deleted meanwhile: missing
      return data.status();
    }
  }
  for (const auto& id : expected) {
    if (present.count(id) == 0) report.missing.push_back(id);
  }
  return report;
}

Result<GarbageReport> BlobStore::CollectGarbage(const std::set<std::string>& live_ids,
                                                bool dry_run) {
  CAIRN_ASSIGN_OR_RETURN(auto blobs, ListBlobs());
  int64_t cutoff = options_.clock() - options_.gc_grace_micros;
  GarbageReport report;
  for (auto& blob : blobs) {
    if (live_ids.count(blob.id) > 0) {
      ++report.kept_live;
      continue;
    }
    if (blob.mtime_micros > cutoff) {
      ++report.kept_recent;
      continue;
    }
    if (!dry_run) CAIRN_RETURN_IF_ERROR(DeleteBlob(blob.id));
    report.removed_bytes += blob.size;
    report.removed.push_back(std::move(blob));
  }
  // Unfinished writes are never referenced; the same grace period protects writes in progress.
  if (!dry_run) {
    CAIRN_ASSIGN_OR_RETURN(report.removed_temporary_bytes, store_->RemoveStaleTemporaries(cutoff));
  }
  return report;
}

}  // namespace cairn::store
