#include "track/artifacts.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>

#include "base/file.h"
#include "base/hash.h"
#include "base/time.h"
#include "catalog/catalog.h"
#include "store/blob_store.h"
#include "track/runs.h"

namespace cairn::track {
namespace {

using catalog::Connection;
using catalog::QueryResult;
using catalog::Row;
using catalog::Value;

constexpr size_t kMaxNameLength = 256;

ArtifactInfo FromRow(const Row& row) {
  ArtifactInfo a;
  a.run_id = row[0].bytes();
  a.name = row[1].bytes();
  a.blob_id = row[2].bytes();
  a.size = row[3].int64();
  a.created_at = row[4].int64();
  return a;
}

constexpr std::string_view kColumns = "run_id, name, blob_id, size, created_at";

// Records (run, name) -> blob unless the same blob is already recorded under that name.
Result<ArtifactInfo> Record(data::Workspace& ws, const std::string& run_id, const std::string& name,
                            const std::string& blob_id, int64_t size) {
  ArtifactInfo info{run_id, name, blob_id, size, NowMicros()};
  Status s = catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
    CAIRN_ASSIGN_OR_RETURN(QueryResult existing,
                           c.Query("SELECT " + std::string(kColumns) +
                                       " FROM run_artifacts WHERE run_id = ? AND name = ?",
                                   {Value::Text(run_id), Value::Text(name)}));
    if (!existing.rows.empty()) {
      ArtifactInfo old = FromRow(existing.rows[0]);
      if (old.blob_id != blob_id) {
        return Status::AlreadyExists("run " + run_id + " already has an artifact '" + name +
                                     "' with other content (sha256 " + old.blob_id +
                                     ", new content sha256 " + blob_id +
                                     "); artifacts are immutable, use another name");
      }
      info = std::move(old);
      return Status::Ok();
    }
    return c
        .Execute("INSERT INTO run_artifacts (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?)",
                 {Value::Text(run_id), Value::Text(name), Value::Text(blob_id), Value::Int64(size),
                  Value::Int64(info.created_at)})
        .status();
  });
  if (!s.ok()) return s;
  return info;
}

Status Damaged(const ArtifactInfo& a, const std::string& what) {
  return Status::Corrupt("artifact '" + a.name + "' of run " + a.run_id + " (blob " + a.blob_id +
                         "): " + what);
}

}  // namespace

Status CheckArtifactName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("artifact name '" + std::string(name) + "': " + why);
  };
  if (name.empty()) return bad("must not be empty");
  if (name.size() > kMaxNameLength) return bad("longer than 256 characters");
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    const std::string_view part = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) return bad("has an empty path component (leading, trailing or double '/')");
    if (part == "." || part == "..") return bad("must not contain '.' or '..' components");
    for (const char ch : part) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
      if (!ok) return bad("may contain only letters, digits, '.', '_', '-' and '/'");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Result<ArtifactInfo> LogArtifactFile(data::Workspace& ws, const std::string& ref,
                                     const std::string& name, const std::string& path) {
  CAIRN_RETURN_IF_ERROR(CheckArtifactName(name));
  CAIRN_ASSIGN_OR_RETURN(std::string run_id, ResolveRunId(ws, ref));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("artifact file '" + path + "' does not exist or is not a file");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string blob_id, ws.blobs().PutBlobFile(path));
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) return Status::IOError("artifact file '" + path + "': " + ec.message());
  return Record(ws, run_id, name, blob_id, size);
}

Result<ArtifactInfo> LogArtifactBytes(data::Workspace& ws, const std::string& ref,
                                      const std::string& name, std::string_view data) {
  CAIRN_RETURN_IF_ERROR(CheckArtifactName(name));
  CAIRN_ASSIGN_OR_RETURN(std::string run_id, ResolveRunId(ws, ref));
  CAIRN_ASSIGN_OR_RETURN(std::string blob_id, ws.blobs().PutBlob(data));
  return Record(ws, run_id, name, blob_id, static_cast<int64_t>(data.size()));
}

Result<std::vector<ArtifactInfo>> ListArtifacts(data::Workspace& ws, const std::string& ref) {
  CAIRN_ASSIGN_OR_RETURN(std::string run_id, ResolveRunId(ws, ref));
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r, ws.catalog().Query("SELECT " + std::string(kColumns) +
                                            " FROM run_artifacts WHERE run_id = ? ORDER BY name",
                                        {Value::Text(run_id)}));
  std::vector<ArtifactInfo> out;
  out.reserve(r.rows.size());
  for (const Row& row : r.rows) out.push_back(FromRow(row));
  return out;
}

Result<ArtifactInfo> GetArtifact(data::Workspace& ws, const std::string& ref,
                                 const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(std::string run_id, ResolveRunId(ws, ref));
  CAIRN_ASSIGN_OR_RETURN(QueryResult r,
                         ws.catalog().Query("SELECT " + std::string(kColumns) +
                                                " FROM run_artifacts WHERE run_id = ? AND name = ?",
                                            {Value::Text(run_id), Value::Text(name)}));
  if (r.rows.empty()) {
    return Status::NotFound("run " + run_id + " has no artifact '" + name + "'");
  }
  return FromRow(r.rows[0]);
}

Result<std::string> ReadArtifact(data::Workspace& ws, const std::string& ref,
                                 const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(ArtifactInfo a, GetArtifact(ws, ref, name));
  Result<std::string> data = ws.blobs().GetBlob(a.blob_id);
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) {
      return Damaged(a, "the stored object is missing");
    }
    if (data.status().code() == StatusCode::kCorrupt) {
      return Damaged(a, "the stored content no longer matches its hash");
    }
    return data.status();
  }
  if (static_cast<int64_t>(data->size()) != a.size) {
    return Damaged(a, "stored size " + std::to_string(data->size()) + " differs from the " +
                          std::to_string(a.size) + " bytes recorded");
  }
  return data;
}

Status ExportArtifact(data::Workspace& ws, const std::string& ref, const std::string& name,
                      const std::string& dest) {
  CAIRN_ASSIGN_OR_RETURN(ArtifactInfo a, GetArtifact(ws, ref, name));
  const std::filesystem::path target(dest);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  std::random_device device;
  const std::string temp = dest + ".tmp-" + std::to_string(device());
  Status got = ws.objects().GetToFile(store::BlobStore::KeyOf(a.blob_id), temp);
  if (!got.ok()) {
    std::filesystem::remove(temp, ec);
    if (got.code() == StatusCode::kNotFound) return Damaged(a, "the stored object is missing");
    return got;
  }
  // Hash what landed on disk: that is what the caller will use.
  Result<std::unique_ptr<SequentialFile>> file = OpenSequentialFile(temp);
  if (!file.ok()) {
    std::filesystem::remove(temp, ec);
    return file.status();
  }
  Sha256 hash;
  int64_t size = 0;
  std::string buf(1 << 20, '\0');
  while (true) {
    Result<int64_t> n = (*file)->Read(static_cast<int64_t>(buf.size()), buf.data());
    if (!n.ok()) {
      std::filesystem::remove(temp, ec);
      return n.status();
    }
    if (*n == 0) break;
    hash.Update(std::string_view(buf.data(), static_cast<size_t>(*n)));
    size += *n;
  }
  file->reset();
  if (ToHex(hash.Finish()) != a.blob_id || size != a.size) {
    std::filesystem::remove(temp, ec);
    return Damaged(a, "the stored content no longer matches its hash");
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    return Status::IOError("cannot write '" + dest + "': " + ec.message());
  }
  return Status::Ok();
}

}  // namespace cairn::track
