#include "files/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string_view>

#include "base/thread_pool.h"
#include "files/pointer.h"

namespace cairn::files {
namespace {

std::string Errno(const std::string& path) { return path + ": " + std::strerror(errno); }

struct Name {
  std::string name;
  unsigned char type = DT_UNKNOWN;
};

// The entries of the open directory `fd` (consumed), sorted by name bytes.
Result<std::vector<Name>> ReadNames(int fd, const std::string& shown) {
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return Status::IOError(Errno(shown));
  }
  std::vector<Name> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.push_back({e->d_name, e->d_type});
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) {
    errno = err;
    return Status::IOError(Errno(shown));
  }
  std::sort(names.begin(), names.end(),
            [](const Name& a, const Name& b) { return a.name < b.name; });
  return names;
}

class Walker {
 public:
  Walker(std::string root, const std::vector<std::string>& skip) : root_(std::move(root)) {
    for (const auto& s : skip) skip_.push_back(s);
  }

  // Visits `name` in the directory `dir_fd` whose relative path is `prefix` ("" or "a/b/"),
  // appending files to `out`.
  Status Visit(int dir_fd, const std::string& prefix, const Name& entry,
               std::vector<TreeFile>* out) {
    const std::string rel = prefix + entry.name;
    struct stat st {};
    if (::fstatat(dir_fd, entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Status::IOError(Errno(Shown(rel)));
    }
    if (S_ISDIR(st.st_mode)) {
      if (std::find(skip_.begin(), skip_.end(), entry.name) != skip_.end()) return Status::Ok();
      const int fd = ::openat(dir_fd, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) return Status::IOError(Errno(Shown(rel)));
      return WalkDir(fd, rel + "/", out);
    }
    TreeFile f;
    f.path = rel;
    if (S_ISLNK(st.st_mode)) {
      f.symlink = true;
      char buf[4096];
      const ssize_t n = ::readlinkat(dir_fd, entry.name.c_str(), buf, sizeof buf);
      if (n < 0) return Status::IOError(Errno(Shown(rel)));
      f.link_target.assign(buf, static_cast<size_t>(n));
      if (::fstatat(dir_fd, entry.name.c_str(), &st, 0) != 0) {
        return Status::Unsupported(Shown(rel) + ": dangling symbolic link to '" + f.link_target +
                                   "'");
      }
      if (!S_ISREG(st.st_mode)) {
        return Status::Unsupported(Shown(rel) +
                                   ": symbolic link to something other than a "
                                   "regular file ('" +
                                   f.link_target + "')");
      }
    } else if (!S_ISREG(st.st_mode)) {
      return Status::Unsupported(Shown(rel) + ": not a regular file, directory or symbolic link");
    }
    f.stat = ToFileStat(st);
    f.mode = st.st_mode;
    f.links = st.st_nlink;
    out->push_back(std::move(f));
    return Status::Ok();
  }

  // Walks the directory `fd` (consumed) depth first, names in byte order.
  Status WalkDir(int fd, const std::string& prefix, std::vector<TreeFile>* out) {
    const int keep = ::dup(fd);
    CAIRN_ASSIGN_OR_RETURN(auto names, ReadNames(fd, Shown(prefix)));
    Status st;
    for (const Name& n : names) {
      st = Visit(keep, prefix, n, out);
      if (!st.ok()) break;
    }
    ::close(keep);
    return st;
  }

  std::string Shown(const std::string& rel) const {
    return rel.empty() ? root_ : root_ + "/" + rel;
  }

 private:
  std::string root_;
  std::vector<std::string> skip_;
};

}  // namespace

FileStat ToFileStat(const struct stat& st) {
  FileStat s;
  s.device = static_cast<uint64_t>(st.st_dev);
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.size = static_cast<int64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return s;
}

int64_t NowNanos() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Result<std::vector<TreeFile>> WalkTree(const std::string& dir, int threads,
                                       const std::vector<std::string>& skip_names) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(dir + ": no such directory");
    return Status::IOError(Errno(dir));
  }
  const int root_fd = ::dup(fd);
  auto names = ReadNames(fd, dir);
  if (!names.ok()) {
    ::close(root_fd);
    return names.status();
  }
  // The top-level entries are visited in parallel, each subtree by one thread; the results,
  // concatenated in name order, are in PathLess order because PathLess compares component by
  // component.
  Walker walker(dir, skip_names);
  const size_t n = names->size();
  std::vector<std::vector<TreeFile>> parts(n);
  std::vector<Status> errors(n);
  ParallelFor(static_cast<int64_t>(n), threads, [&](int64_t i) {
    const auto k = static_cast<size_t>(i);
    errors[k] = walker.Visit(root_fd, "", (*names)[k], &parts[k]);
  });
  ::close(root_fd);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    CAIRN_RETURN_IF_ERROR(errors[i]);
    total += parts[i].size();
  }
  std::vector<TreeFile> files;
  files.reserve(total);
  for (auto& p : parts) {
    for (auto& f : p) files.push_back(std::move(f));
  }
  return files;
}

}  // namespace cairn::files
