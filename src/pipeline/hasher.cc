#include "pipeline/hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include "base/hash.h"
#include "base/thread_pool.h"

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

class DirectHasher final : public PathHasher {
 public:
  explicit DirectHasher(int threads) : threads_(threads) {}

  Result<PathHash> Hash(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return PathHash{};
      return Errno(path, "stat");
    }
    PathHash h;
    if (S_ISREG(st.st_mode)) {
      h.kind = PathHash::Kind::kFile;
      CAIRN_ASSIGN_OR_RETURN(h.hash, FileHash(path, st));
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
      auto hash = FileHash(full, fst);
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

 private:
  Result<std::string> FileHash(const std::string& path, const struct stat& st) {
    const StatKey key = KeyOf(path, st);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end()) return it->second;
    }
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
    ::close(fd);
    std::string hex = ToHex(sha.Finish());
    std::lock_guard<std::mutex> lock(mu_);
    cache_[key] = hex;
    return hex;
  }

  int threads_;
  std::mutex mu_;
  std::map<StatKey, std::string> cache_;
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

}  // namespace cairn::pipeline
