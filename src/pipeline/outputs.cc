#include "pipeline/outputs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "pipeline/key.h"

namespace cairn::pipeline {

namespace fs = std::filesystem;

namespace {

// Splits a tab-separated line into exactly `n` fields.
Result<std::vector<std::string_view>> Fields(std::string_view line, size_t n) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (fields.size() + 1 < n) {
    const size_t tab = line.find('\t', pos);
    if (tab == std::string_view::npos) return Status::Corrupt("malformed manifest line");
    fields.push_back(line.substr(pos, tab - pos));
    pos = tab + 1;
  }
  fields.push_back(line.substr(pos));
  return fields;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

// A directory's manifest blob: "HASH\tSIZE\tX\tPATH\n" per file, sorted by path.
std::string DirectoryManifest(const std::vector<DirectoryFile>& files) {
  std::string out;
  for (const DirectoryFile& f : files) {
    out += f.hash + "\t" + std::to_string(f.size) + "\t" + (f.executable ? "x" : "-") + "\t" +
           EscapeField(f.path) + "\n";
  }
  return out;
}

Result<std::vector<DirectoryFile>> ParseDirectoryManifest(std::string_view text) {
  std::vector<DirectoryFile> files;
  for (std::string_view line : Lines(text)) {
    CAIRN_ASSIGN_OR_RETURN(auto f, Fields(line, 4));
    DirectoryFile file;
    file.hash = std::string(f[0]);
    file.size = std::atoll(std::string(f[1]).c_str());
    file.executable = f[2] == "x";
    CAIRN_ASSIGN_OR_RETURN(file.path, UnescapeField(f[3]));
    const std::string normal = fs::path(file.path).lexically_normal().generic_string();
    if (!store::BlobStore::IsValidId(file.hash) || file.path.empty() || normal != file.path ||
        file.path.starts_with("../") || file.path == ".." || file.path.front() == '/') {
      return Status::Corrupt("malformed directory manifest");
    }
    files.push_back(std::move(file));
  }
  return files;
}

Status SetExecutable(const std::string& path, bool executable) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::IOError(path + ": cannot stat");
  mode_t mode = st.st_mode & 07777;
  mode = executable ? (mode | S_IXUSR | S_IXGRP | S_IXOTH)
                    : (mode & ~static_cast<mode_t>(S_IXUSR | S_IXGRP | S_IXOTH));
  if (::chmod(path.c_str(), mode) != 0) return Status::IOError(path + ": cannot chmod");
  return Status::Ok();
}

// Downloads blob `id` to `dest` and checks its hash.
Status FetchVerified(store::ObjectStore& objects, PathHasher& hasher, const std::string& id,
                     const std::string& dest, const std::string& what) {
  Status got = objects.GetToFile(store::BlobStore::KeyOf(id), dest);
  if (got.code() == StatusCode::kNotFound) {
    return Status::Corrupt("cached output '" + what + "': blob " + id + " is missing");
  }
  CAIRN_RETURN_IF_ERROR(got);
  CAIRN_ASSIGN_OR_RETURN(PathHash h, hasher.Hash(dest));
  if (h.kind != PathHash::Kind::kFile || h.hash != id) {
    std::error_code ec;
    fs::remove(dest, ec);
    // Drop the damaged copy so that the next store of this content writes it again.
    (void)objects.Delete(store::BlobStore::KeyOf(id));
    return Status::Corrupt("cached output '" + what + "': blob " + id +
                           " is damaged (its content hashes to " + h.hash + ")");
  }
  return Status::Ok();
}

std::string TempName(const std::string& path) {
  return path + ".cairn-restore-" + std::to_string(::getpid());
}

Status RestoreOne(store::BlobStore& blobs, store::ObjectStore& objects, PathHasher& hasher,
                  const std::string& dir, const StoredOutput& out) {
  const std::string dest = dir + "/" + out.path;
  const std::string tmp = TempName(dest);
  std::error_code ec;
  fs::create_directories(fs::path(dest).parent_path(), ec);
  if (ec) return Status::IOError(dest + ": " + ec.message());
  fs::remove_all(tmp, ec);
  if (out.kind == PathHash::Kind::kFile) {
    CAIRN_RETURN_IF_ERROR(FetchVerified(objects, hasher, out.blob, tmp, out.path));
    CAIRN_RETURN_IF_ERROR(SetExecutable(tmp, out.executable));
  } else {
    auto manifest = blobs.GetBlob(out.blob);
    if (!manifest.ok()) {
      if (manifest.status().code() != StatusCode::kNotFound &&
          manifest.status().code() != StatusCode::kCorrupt) {
        return manifest.status();
      }
      return Status::Corrupt("cached output '" + out.path + "': manifest " + out.blob + ": " +
                             manifest.status().message());
    }
    auto files = ParseDirectoryManifest(*manifest);
    if (!files.ok() || DirectoryHash(*files) != out.hash) {
      return Status::Corrupt("cached output '" + out.path + "': manifest " + out.blob +
                             " does not describe the recorded directory");
    }
    fs::create_directories(tmp, ec);
    if (ec) return Status::IOError(tmp + ": " + ec.message());
    for (const DirectoryFile& f : *files) {
      const std::string file_dest = tmp + "/" + f.path;
      fs::create_directories(fs::path(file_dest).parent_path(), ec);
      if (ec) return Status::IOError(file_dest + ": " + ec.message());
      Status st = FetchVerified(objects, hasher, f.hash, file_dest, out.path + "/" + f.path);
      if (st.ok()) st = SetExecutable(file_dest, f.executable);
      if (!st.ok()) {
        fs::remove_all(tmp, ec);
        return st;
      }
    }
  }
  fs::remove_all(dest, ec);
  if (ec) return Status::IOError(dest + ": " + ec.message());
  fs::rename(tmp, dest, ec);
  if (ec) return Status::IOError(dest + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::string OutputsText(const std::vector<StoredOutput>& outputs) {
  std::string out;
  for (const StoredOutput& o : outputs) {
    out += std::string(o.kind == PathHash::Kind::kDirectory ? "d" : "f") + "\t" + o.hash + "\t" +
           o.blob + "\t" + (o.executable ? "x" : "-") + "\t" + EscapeField(o.path) + "\n";
  }
  return out;
}

Result<std::vector<StoredOutput>> ParseOutputsText(std::string_view text) {
  std::vector<StoredOutput> outputs;
  for (std::string_view line : Lines(text)) {
    CAIRN_ASSIGN_OR_RETURN(auto f, Fields(line, 5));
    StoredOutput o;
    if (f[0] != "f" && f[0] != "d") return Status::Corrupt("malformed outputs manifest");
    o.kind = f[0] == "d" ? PathHash::Kind::kDirectory : PathHash::Kind::kFile;
    o.hash = std::string(f[1]);
    o.blob = std::string(f[2]);
    o.executable = f[3] == "x";
    CAIRN_ASSIGN_OR_RETURN(o.path, UnescapeField(f[4]));
    if (!store::BlobStore::IsValidId(o.blob)) return Status::Corrupt("malformed outputs manifest");
    outputs.push_back(std::move(o));
  }
  return outputs;
}

Result<SavedOutputs> SaveOutputs(store::BlobStore& blobs, PathHasher& hasher,
                                 const std::string& dir, const std::vector<std::string>& outs) {
  SavedOutputs saved;
  std::set<std::string> ids;
  auto put_file = [&](const std::string& path, const std::string& hash) -> Status {
    CAIRN_ASSIGN_OR_RETURN(bool has, blobs.HasBlob(hash));
    if (!has) {
      CAIRN_ASSIGN_OR_RETURN(std::string id, blobs.PutBlobFile(path));
      if (id != hash) return Status::IOError(path + ": changed while it was stored");
    }
    ids.insert(hash);
    return Status::Ok();
  };
  for (const std::string& rel : outs) {
    std::string path = dir;
    path += '/';
    path += rel;
    CAIRN_ASSIGN_OR_RETURN(PathHash h, hasher.Hash(path));
    StoredOutput o;
    o.path = rel;
    o.kind = h.kind;
    o.hash = h.hash;
    switch (h.kind) {
      case PathHash::Kind::kMissing:
        return Status::NotFound("output '" + rel + "' was not created");
      case PathHash::Kind::kFile:
        CAIRN_RETURN_IF_ERROR(put_file(path, h.hash));
        o.blob = h.hash;
        o.executable = h.executable;
        break;
      case PathHash::Kind::kDirectory: {
        for (const DirectoryFile& f : h.files) {
          CAIRN_RETURN_IF_ERROR(put_file(path + "/" + f.path, f.hash));
        }
        CAIRN_ASSIGN_OR_RETURN(o.blob, blobs.PutBlob(DirectoryManifest(h.files)));
        ids.insert(o.blob);
        break;
      }
    }
    saved.outputs.push_back(std::move(o));
  }
  saved.blobs.assign(ids.begin(), ids.end());
  return saved;
}

Result<std::vector<std::string>> ChangedOutputs(PathHasher& hasher, const std::string& dir,
                                                const std::vector<StoredOutput>& outputs) {
  std::vector<std::string> changed;
  for (const StoredOutput& o : outputs) {
    CAIRN_ASSIGN_OR_RETURN(PathHash h, hasher.Hash(dir + "/" + o.path));
    bool same = h.kind == o.kind && h.hash == o.hash;
    if (same && o.kind == PathHash::Kind::kFile) same = h.executable == o.executable;
    if (!same) changed.push_back(o.path);
  }
  return changed;
}

Status RestoreOutputs(store::BlobStore& blobs, store::ObjectStore& objects, PathHasher& hasher,
                      const std::string& dir, const std::vector<StoredOutput>& outputs,
                      const std::vector<std::string>& paths) {
  for (const StoredOutput& o : outputs) {
    if (std::find(paths.begin(), paths.end(), o.path) == paths.end()) continue;
    CAIRN_RETURN_IF_ERROR(RestoreOne(blobs, objects, hasher, dir, o));
  }
  return Status::Ok();
}

}  // namespace cairn::pipeline
