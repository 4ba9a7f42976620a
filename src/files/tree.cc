#include "files/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string_view>

#include "base/thread_pool.h"
#include "files/pointer.h"

namespace cairn::files {
namespace {

std::string Errno(const std::string& path) { return path + ": " + std::strerror(errno); }

// The entries of one directory: their names, NUL-terminated, in one buffer.
struct Names {
  std::string blob;
  struct Entry {
    uint32_t offset;
    uint32_t length;
  };
  std::vector<Entry> entries;  // sorted by name bytes
  std::string_view name(const Entry& e) const { return {blob.data() + e.offset, e.length}; }
  const char* c_str(const Entry& e) const { return blob.data() + e.offset; }
};

// Reads the entries of the open directory `fd` (consumed), sorted by name bytes.
Status ReadNames(int fd, const std::string& shown, Names* out) {
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return Status::IOError(Errno(shown));
  }
  out->blob.clear();
  out->entries.clear();
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    const char* n = e->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
    const size_t len = std::strlen(n);
    out->entries.push_back({static_cast<uint32_t>(out->blob.size()), static_cast<uint32_t>(len)});
    out->blob.append(n, len + 1);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) {
    errno = err;
    return Status::IOError(Errno(shown));
  }
  std::sort(
      out->entries.begin(), out->entries.end(),
      [&](const Names::Entry& a, const Names::Entry& b) { return out->name(a) < out->name(b); });
  return Status::Ok();
}

// A file found by one walker, its strings as offsets into the walker's buffer (which grows).
struct RawFile {
  size_t path_offset = 0;
  size_t path_length = 0;
  size_t target_offset = 0;
  size_t target_length = 0;
  FileStat stat;
  uint32_t mode = 0;
  uint64_t links = 0;
  bool symlink = false;
};

// The files of one subtree: what one thread of the walk produces.
struct Part {
  std::string buffer;
  std::vector<RawFile> files;
};

class Walker {
 public:
  Walker(const std::string& root, const std::vector<std::string>& skip)
      : root_(root), skip_(skip) {}

  // Visits `name` in the directory `dir_fd`; `rel` holds the relative path of that directory
  // ("" or "a/b/") and is restored before returning.
  Status Visit(int dir_fd, std::string* rel, const char* name, size_t name_length,
               Part* out) const {
    const size_t dir_length = rel->size();
    rel->append(name, name_length);
    Status st = VisitAt(dir_fd, rel, name, out);
    rel->resize(dir_length);
    return st;
  }

 private:
  Status VisitAt(int dir_fd, std::string* rel, const char* name, Part* out) const {
    struct stat st {};
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Status::IOError(Errno(Shown(*rel)));
    }
    if (S_ISDIR(st.st_mode)) {
      if (std::find(skip_.begin(), skip_.end(), name) != skip_.end()) return Status::Ok();
      const int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) return Status::IOError(Errno(Shown(*rel)));
      rel->push_back('/');
      return WalkDir(fd, rel, out);
    }
    RawFile f;
    if (S_ISLNK(st.st_mode)) {
      f.symlink = true;
      char buf[4096];
      const ssize_t n = ::readlinkat(dir_fd, name, buf, sizeof buf);
      if (n < 0) return Status::IOError(Errno(Shown(*rel)));
      const std::string target(buf, static_cast<size_t>(n));
      if (::fstatat(dir_fd, name, &st, 0) != 0) {
        return Status::Unsupported(Shown(*rel) + ": dangling symbolic link to '" + target + "'");
      }
      if (!S_ISREG(st.st_mode)) {
        return Status::Unsupported(Shown(*rel) +
                                   ": symbolic link to something other than a "
                                   "regular file ('" +
                                   target + "')");
      }
      f.target_offset = out->buffer.size();
      f.target_length = target.size();
      out->buffer += target;
    } else if (!S_ISREG(st.st_mode)) {
      return Status::Unsupported(Shown(*rel) + ": not a regular file, directory or symbolic link");
    }
    f.path_offset = out->buffer.size();
    f.path_length = rel->size();
    out->buffer += *rel;
    f.stat = ToFileStat(st);
    f.mode = st.st_mode;
    f.links = st.st_nlink;
    out->files.push_back(f);
    return Status::Ok();
  }

  // Walks the directory `fd` (consumed) whose relative path is `rel` ("a/b/"), depth first,
  // names in byte order.
  Status WalkDir(int fd, std::string* rel, Part* out) const {
    const int keep = ::dup(fd);
    Names names;
    Status st = ReadNames(fd, Shown(*rel), &names);
    for (size_t i = 0; st.ok() && i < names.entries.size(); ++i) {
      const Names::Entry& e = names.entries[i];
      st = Visit(keep, rel, names.c_str(e), e.length, out);
    }
    ::close(keep);
    return st;
  }

  std::string Shown(std::string_view rel) const {
    while (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
    return rel.empty() ? root_ : root_ + "/" + std::string(rel);
  }

  const std::string& root_;
  const std::vector<std::string>& skip_;
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

Result<Tree> WalkTree(const std::string& dir, int threads,
                      const std::vector<std::string>& skip_names) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(dir + ": no such directory");
    return Status::IOError(Errno(dir));
  }
  const int root_fd = ::dup(fd);
  Names names;
  Status listed = ReadNames(fd, dir, &names);
  if (!listed.ok()) {
    ::close(root_fd);
    return listed;
  }
  // The top-level entries are visited in parallel, each subtree by one thread; the results,
  // concatenated in name order, are in PathLess order because PathLess compares component by
  // component.
  Walker walker(dir, skip_names);
  const size_t n = names.entries.size();
  std::vector<Part> parts(n);
  std::vector<Status> errors(n);
  ParallelFor(static_cast<int64_t>(n), threads, [&](int64_t i) {
    const auto k = static_cast<size_t>(i);
    const Names::Entry& e = names.entries[k];
    std::string rel;
    errors[k] = walker.Visit(root_fd, &rel, names.c_str(e), e.length, &parts[k]);
  });
  ::close(root_fd);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    CAIRN_RETURN_IF_ERROR(errors[i]);
    total += parts[i].files.size();
  }
  Tree tree;
  tree.files.reserve(total);
  tree.buffers.reserve(n);
  for (Part& p : parts) {
    if (p.files.empty()) continue;
    tree.buffers.push_back(std::move(p.buffer));
    const char* base = tree.buffers.back().data();
    for (const RawFile& r : p.files) {
      TreeFile f;
      f.path = std::string_view(base + r.path_offset, r.path_length);
      if (r.symlink) f.link_target = std::string_view(base + r.target_offset, r.target_length);
      f.stat = r.stat;
      f.mode = r.mode;
      f.links = r.links;
      f.symlink = r.symlink;
      tree.files.push_back(f);
    }
    p.files = {};
  }
  return tree;
}

}  // namespace cairn::files
