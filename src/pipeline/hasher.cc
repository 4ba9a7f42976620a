#include "pipeline/hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>

#include "base/hash.h"
#include "base/thread_pool.h"
#include "files/hash_cache.h"
#include "files/tree.h"

namespace cairn::pipeline {

namespace fs = std::filesystem;

namespace {

Status Errno(const std::string& path, const char* what) {
  return Status::IOError(path + ": " + what + ": " + std::strerror(errno));
}

// What identifies one version of a file on disk.
using StatKey = std::tuple<std::string, uint64_t, uint64_t, int64_t, int64_t, int64_t>;

StatKey KeyOf(const std::string& path, const struct stat& st) {
  return {path,
          static_cast<uint64_t>(st.st_dev),
          static_cast<uint64_t>(st.st_ino),
          static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

// Lists and hashes paths; where a file's hash comes from is up to the subclass.
class ListingHasher : public PathHasher {
 public:
  explicit ListingHasher(int threads) : threads_(threads) {}

  Result<PathHash> Hash(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return PathHash{};
      return Errno(path, "stat");
    }
    PathHash h;
    if (S_ISREG(st.st_mode)) {
      h.kind = PathHash::Kind::kFile;
      CAIRN_ASSIGN_OR_RETURN(h.hash, CachedFileHash(path, st));
      h.size = static_cast<int64_t>(st.st_size);
      h.executable = (st.st_mode & S_IXUSR) != 0;
      return h;
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument(path + ": not a regular file or directory");
    }
    h.kind = PathHash::Kind::kDirectory;
    std::error_code ec;
    fs::recursive_directory_iterator it(path, fs::directory_options::follow_directory_symlink, ec);
    if (ec) return Status::IOError(path + ": " + ec.message());
    std::vector<std::string> rel;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return Status::IOError(path + ": " + ec.message());
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec)) continue;
      rel.push_back(it->path().lexically_relative(path).generic_string());
    }
    if (ec) return Status::IOError(path + ": " + ec.message());
    std::sort(rel.begin(), rel.end());
    h.files.resize(rel.size());
    std::vector<Status> errors(rel.size());
    ParallelFor(static_cast<int64_t>(rel.size()), threads_, [&](int64_t i) {
      const auto k = static_cast<size_t>(i);
      DirectoryFile& f = h.files[k];
      f.path = rel[k];
      const std::string full = path + "/" + rel[k];
      struct stat fst {};
      if (::stat(full.c_str(), &fst) != 0) {
        errors[k] = Errno(full, "stat");
        return;
      }
      f.size = static_cast<int64_t>(fst.st_size);
      f.executable = (fst.st_mode & S_IXUSR) != 0;
      auto hash = CachedFileHash(full, fst);
      if (!hash.ok()) {
        errors[k] = hash.status();
        return;
      }
      f.hash = std::move(*hash);
    });
    for (const Status& e : errors) CAIRN_RETURN_IF_ERROR(e);
    for (const DirectoryFile& f : h.files) h.size += f.size;
    h.hash = DirectoryHash(h.files);
    return h;
  }

  int64_t files_read() const override { return files_read_.load(); }

 protected:
  // The hash of the file `path` whose stat is `st`, when known without reading it.
  virtual std::optional<std::string> Known(const std::string& path, const struct stat& st) = 0;
  // Called after `path` was read: its content, of stat `st` throughout, hashes to `digest`.
  virtual void Learned(const std::string& path, const struct stat& st,
                       const Sha256Digest& digest) = 0;

 private:
  // The file's hash: remembered for the life of the object, else Known, else read.
  Result<std::string> CachedFileHash(const std::string& path, const struct stat& st) {
    const StatKey key = KeyOf(path, st);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = memo_.find(key);
      if (it != memo_.end()) return it->second;
    }
    std::optional<std::string> hex = Known(path, st);
    if (!hex) {
      struct stat after {};
      CAIRN_ASSIGN_OR_RETURN(Sha256Digest digest, ReadAndHash(path, &after));
      ++files_read_;
      hex = ToHex(digest);
      // Only content read under the stat it was listed with may be remembered by that stat.
      if (KeyOf(path, after) != key) return *hex;
      Learned(path, st, digest);
    }
    std::lock_guard<std::mutex> lock(mu_);
    memo_[key] = *hex;
    return *hex;
  }

  static Result<Sha256Digest> ReadAndHash(const std::string& path, struct stat* after) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno(path, "open");
    Sha256 sha;
    std::string buf(size_t{1} << 20, '\0');
    while (true) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        Status st_err = Errno(path, "read");
        ::close(fd);
        return st_err;
      }
      if (n == 0) break;
      sha.Update(buf.data(), static_cast<size_t>(n));
    }
    if (::fstat(fd, after) != 0) {
      Status st_err = Errno(path, "stat");
      ::close(fd);
      return st_err;
    }
    ::close(fd);
    return sha.Finish();
  }

  int threads_;
  std::atomic<int64_t> files_read_{0};
  std::mutex mu_;
  std::map<StatKey, std::string> memo_;
};

class DirectHasher final : public ListingHasher {
 public:
  explicit DirectHasher(int threads) : ListingHasher(threads) {}

 protected:
  std::optional<std::string> Known(const std::string& /*path*/,
                                   const struct stat& /*st*/) override {
    return std::nullopt;
  }
  void Learned(const std::string& /*path*/, const struct stat& /*st*/,
               const Sha256Digest& /*digest*/) override {}
};

class CachedHasher final : public ListingHasher {
 public:
  CachedHasher(std::string root, int threads)
      : ListingHasher(threads), root_(std::move(root)), cache_(root_ + "/.cairn/hashcache") {
    cache_.Load();
  }
  ~CachedHasher() override {
    // The cache only saves work: a failure to save it costs re-reading next time.
    (void)cache_.Save();
  }
  CachedHasher(const CachedHasher&) = delete;
  CachedHasher& operator=(const CachedHasher&) = delete;

 protected:
  std::optional<std::string> Known(const std::string& path, const struct stat& st) override {
    const std::string key = KeyFor(path);
    if (key.empty()) return std::nullopt;
    auto digest = cache_.Lookup(key, files::ToFileStat(st));
    if (!digest) return std::nullopt;
    return ToHex(*digest);
  }
  void Learned(const std::string& path, const struct stat& st,
               const Sha256Digest& digest) override {
    std::string key = KeyFor(path);
    if (!key.empty()) cache_.Record(std::move(key), files::ToFileStat(st), digest);
  }

 private:
  // The cache key of `path`: relative to the root, or empty outside it (and inside .cairn).
  std::string KeyFor(const std::string& path) const {
    const std::string norm = fs::path(path).lexically_normal().generic_string();
    if (norm.size() <= root_.size() + 1 || norm.compare(0, root_.size(), root_) != 0 ||
        norm[root_.size()] != '/') {
      return {};
    }
    std::string rel = norm.substr(root_.size() + 1);
    if (rel == ".cairn" || rel.starts_with(".cairn/")) return {};
    return rel;
  }

  std::string root_;
  files::HashCache cache_;
};

}  // namespace

std::string DirectoryHash(const std::vector<DirectoryFile>& files) {
  Sha256 sha;
  for (const DirectoryFile& f : files) {
    sha.Update(f.path);
    sha.Update(std::string_view("\0", 1));
    sha.Update(f.hash);
    sha.Update("\n");
  }
  return ToHex(sha.Finish());
}

std::unique_ptr<PathHasher> MakeDirectHasher(int threads) {
  return std::make_unique<DirectHasher>(threads);
}

std::unique_ptr<PathHasher> MakeCachedHasher(const std::string& workspace_root, int threads) {
  std::error_code ec;
  fs::path root = fs::canonical(workspace_root, ec);
  if (ec) root = fs::absolute(workspace_root, ec).lexically_normal();
  std::string r = root.generic_string();
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return std::make_unique<CachedHasher>(r, threads);
}

std::unique_ptr<PathHasher> MakeDefaultHasher(const std::string& workspace_root, int threads) {
  if (workspace_root.empty()) return MakeDirectHasher(threads);
  return MakeCachedHasher(workspace_root, threads);
}

}  // namespace cairn::pipeline
