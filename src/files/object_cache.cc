#include "files/object_cache.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace cairn::files {
namespace {

std::string Errno(const std::string& what, int err) { return what + ": " + std::strerror(err); }

Status ErrnoStatus(const std::string& what, int err) {
  if (err == ENOENT) return Status::NotFound(Errno(what, err));
  return Status::IOError(Errno(what, err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

constexpr size_t kChunk = size_t{1} << 20;

Status WriteAll(int fd, const char* data, size_t n, const std::string& name) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(Errno(name, errno));
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Reads `fd` to the end, hashing, and (when out_fd >= 0) writing what it reads.
Result<Sha256Digest> HashStream(int fd, int out_fd, const std::string& name,
                                const std::string& out_name) {
  Sha256 sha;
  thread_local std::vector<char> buf(kChunk);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(Errno(name, errno));
    }
    if (n == 0) break;
    sha.Update(buf.data(), static_cast<size_t>(n));
    if (out_fd >= 0)
      CAIRN_RETURN_IF_ERROR(WriteAll(out_fd, buf.data(), static_cast<size_t>(n), out_name));
  }
  return sha.Finish();
}

bool LinkUnsupported(int err) {
  return err == EXDEV || err == EPERM || err == EMLINK || err == EOPNOTSUPP || err == ENOSYS;
}

}  // namespace

std::string_view LinkModeName(LinkMode mode) {
  switch (mode) {
    case LinkMode::kAuto:
      return "auto";
    case LinkMode::kReflink:
      return "reflink";
    case LinkMode::kHardlink:
      return "hardlink";
    case LinkMode::kSymlink:
      return "symlink";
    case LinkMode::kCopy:
      return "copy";
  }
  return "auto";
}

Result<LinkMode> ParseLinkMode(std::string_view text) {
  for (LinkMode m : {LinkMode::kAuto, LinkMode::kReflink, LinkMode::kHardlink, LinkMode::kSymlink,
                     LinkMode::kCopy}) {
    if (text == LinkModeName(m)) return m;
  }
  return Status::InvalidArgument(
      "--link: expected reflink, hardlink, symlink, copy or auto, got '" + std::string(text) + "'");
}

std::string ObjectKey(std::string_view hex) {
  std::string key(kObjectPrefix);
  key += hex.substr(0, 2);
  key += '/';
  key += hex.substr(2);
  return key;
}

Result<Sha256Digest> HashFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(path, errno);
  return HashStream(fd.get(), -1, path, "");
}

Result<std::unique_ptr<ObjectCache>> ObjectCache::Open(const std::string& root) {
  auto cache = std::unique_ptr<ObjectCache>(new ObjectCache(root));  // NOLINT
  std::string dir = root;
  auto make = [](const std::string& d) -> Status {
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::IOError(Errno(d, errno));
    }
    return Status::Ok();
  };
  CAIRN_RETURN_IF_ERROR(make(dir));
  dir += "/" + std::string(kObjectPrefix.substr(0, kObjectPrefix.size() - 1));
  CAIRN_RETURN_IF_ERROR(make(dir));
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    const char name[3] = {kHex[i >> 4], kHex[i & 15], 0};
    CAIRN_RETURN_IF_ERROR(make(dir + "/" + name));
  }
  return cache;
}

std::string ObjectCache::PathOf(std::string_view hex) const { return root_ + "/" + ObjectKey(hex); }

Result<std::optional<int64_t>> ObjectCache::SizeOf(std::string_view hex) const {
  struct stat st {};
  const std::string path = PathOf(hex);
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<int64_t>();
    return Status::IOError(Errno(path, errno));
  }
  return std::optional<int64_t>(static_cast<int64_t>(st.st_size));
}

Result<Sha256Digest> ObjectCache::HashObject(std::string_view hex) const {
  return HashFile(PathOf(hex));
}

Result<std::string> ObjectCache::ReadVerified(std::string_view hex) const {
  const std::string path = PathOf(hex);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(path, errno);
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(Errno(path, errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  if (Sha256Hex(data) != hex) {
    return Status::Corrupt("cache object " + std::string(hex) + " (" + path +
                           ") does not match its hash");
  }
  return data;
}

std::string ObjectCache::TempBeside(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "/." + base + ".cairn-tmp-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter_.fetch_add(1));
}

std::string ObjectCache::TempPath() {
  return root_ + "/" + std::string(kObjectPrefix) + "tmp-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter_.fetch_add(1));
}

Status ObjectCache::PutBytes(std::string_view hex, std::string_view data) {
  const std::string path = PathOf(hex);
  if (::access(path.c_str(), F_OK) == 0) return Status::Ok();
  const std::string tmp = TempBeside(path);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (fd.get() < 0) return Status::IOError(Errno(tmp, errno));
  Status st = WriteAll(fd.get(), data.data(), data.size(), tmp);
  if (st.ok() && ::close(fd.Release()) != 0) st = Status::IOError(Errno(tmp, errno));
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Status::IOError(Errno(path, errno));
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

Status ObjectCache::Reflink(const std::string& from, const std::string& to) const {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return ErrnoStatus(from, errno);
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (out.get() < 0) return Status::IOError(Errno(to, errno));
  if (::ioctl(out.get(), FICLONE, in.get()) != 0) {
    const int err = errno;
    ::unlink(to.c_str());
    if (err == EOPNOTSUPP || err == EXDEV || err == EINVAL || err == ENOTTY || err == ENOSYS ||
        err == EPERM) {
      return Status::Unsupported("reflink (FICLONE) of " + from + " to " + to +
                                 " is not supported here: " + std::strerror(err));
    }
    return Status::IOError(Errno(to, err));
  }
  return Status::Ok();
}

Status ObjectCache::CopyVerified(const std::string& from, const std::string& to,
                                 std::string_view hex, unsigned mode) const {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return ErrnoStatus(from, errno);
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (out.get() < 0) return Status::IOError(Errno(to, errno));
  auto digest = HashStream(in.get(), out.get(), from, to);
  Status st = digest.status();
  if (digest.ok() && ToHex(*digest) != hex) {
    st = Status::Corrupt(from + " does not hash to " + std::string(hex));
  }
  if (st.ok() && ::close(out.Release()) != 0) st = Status::IOError(Errno(to, errno));
  if (!st.ok()) ::unlink(to.c_str());
  return st;
}

Result<std::optional<LinkMode>> ObjectCache::Insert(const std::string& working,
                                                    std::string_view hex, bool executable,
                                                    LinkMode mode) {
  const std::string object = PathOf(hex);
  if (::access(object.c_str(), F_OK) == 0) return std::optional<LinkMode>();
  const std::string tmp = TempBeside(object);
  if ((mode == LinkMode::kAuto && reflink_works_.load()) || mode == LinkMode::kReflink) {
    Status st = Reflink(working, tmp);
    if (st.ok()) {
      if (::chmod(tmp.c_str(), 0444) != 0 || ::rename(tmp.c_str(), object.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return Status::IOError(Errno(object, err));
      }
      return std::optional<LinkMode>(LinkMode::kReflink);
    }
    if (st.code() != StatusCode::kUnsupported || mode == LinkMode::kReflink) return st;
    reflink_works_.store(false);
  }
  if ((mode == LinkMode::kAuto || mode == LinkMode::kHardlink) && !executable) {
    if (::link(working.c_str(), object.c_str()) == 0 || errno == EEXIST) {
      if (::chmod(object.c_str(), 0444) != 0) return Status::IOError(Errno(object, errno));
      return std::optional<LinkMode>(LinkMode::kHardlink);
    }
    if (!LinkUnsupported(errno)) return Status::IOError(Errno(object, errno));
  }
  if (mode == LinkMode::kSymlink && !executable) {
    // Move the file into the cache and leave a link to it behind.
    if (::rename(working.c_str(), object.c_str()) == 0) {
      if (::chmod(object.c_str(), 0444) != 0) return Status::IOError(Errno(object, errno));
      const std::string wtmp = TempBeside(working);
      if (::symlink(object.c_str(), wtmp.c_str()) != 0 ||
          ::rename(wtmp.c_str(), working.c_str()) != 0) {
        const int err = errno;
        ::unlink(wtmp.c_str());
        return Status::IOError(Errno(working, err));
      }
      return std::optional<LinkMode>(LinkMode::kSymlink);
    }
    if (errno != EXDEV) return Status::IOError(Errno(working, errno));
    // Another file system: copy, then link the working file below.
  }
  CAIRN_RETURN_IF_ERROR(CopyVerified(working, tmp, hex, 0444));
  if (::rename(tmp.c_str(), object.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(Errno(object, err));
  }
  return std::optional<LinkMode>(LinkMode::kCopy);
}

Result<LinkMode> ObjectCache::Materialize(std::string_view hex, int64_t size, bool executable,
                                          const std::string& dest, LinkMode mode) {
  const std::string object = PathOf(hex);
  struct stat st {};
  if (::stat(object.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Status::NotFound("cache object " + std::string(hex) + " is missing (" + object + ")");
    }
    return Status::IOError(Errno(object, errno));
  }
  if (static_cast<int64_t>(st.st_size) != size) {
    return Status::Corrupt("cache object " + std::string(hex) + " (" + object + ") has " +
                           std::to_string(st.st_size) + " bytes, expected " + std::to_string(size));
  }
  const size_t slash = dest.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    // Create missing parents (rarely needed: most exist).
    const std::string parent = dest.substr(0, slash);
    struct stat pst {};
    if (::stat(parent.c_str(), &pst) != 0) {
      for (size_t i = 1; i <= parent.size(); ++i) {
        if (i == parent.size() || parent[i] == '/') {
          const std::string p = parent.substr(0, i);
          if (::mkdir(p.c_str(), 0777) != 0 && errno != EEXIST) {
            return Status::IOError(Errno(p, errno));
          }
        }
      }
    }
  }
  const std::string tmp = TempBeside(dest);
  const unsigned file_mode = executable ? 0777U : 0666U;
  auto finish = [&](LinkMode used) -> Result<LinkMode> {
    if (::rename(tmp.c_str(), dest.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return Status::IOError(Errno(dest, err));
    }
    return used;
  };
  if (mode == LinkMode::kSymlink && !executable) {
    if (::symlink(object.c_str(), tmp.c_str()) != 0) return Status::IOError(Errno(tmp, errno));
    return finish(LinkMode::kSymlink);
  }
  const bool try_reflink = mode == LinkMode::kReflink ||
                           ((mode == LinkMode::kAuto || executable) && reflink_works_.load());
  if (try_reflink) {
    Status rs = Reflink(object, tmp);
    if (rs.ok()) {
      // A clone gets a fresh inode: give it the working mode (the umask applies).
      const mode_t mask = ::umask(0);
      ::umask(mask);
      if (::chmod(tmp.c_str(), file_mode & ~mask) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return Status::IOError(Errno(tmp, err));
      }
      return finish(LinkMode::kReflink);
    }
    if (rs.code() != StatusCode::kUnsupported || mode == LinkMode::kReflink) return rs;
    reflink_works_.store(false);
  }
  if ((mode == LinkMode::kAuto || mode == LinkMode::kHardlink) && !executable) {
    if (::link(object.c_str(), tmp.c_str()) == 0) return finish(LinkMode::kHardlink);
    const int err = errno;
    if (!LinkUnsupported(err) || mode == LinkMode::kHardlink) {
      return Status::Unsupported(Errno("hardlink " + object + " to " + dest, err));
    }
  }
  CAIRN_RETURN_IF_ERROR(CopyVerified(object, tmp, hex, file_mode));
  return finish(LinkMode::kCopy);
}

Status ObjectCache::InstallVerified(const std::string& tmp, std::string_view hex) {
  auto digest = HashFile(tmp);
  if (!digest.ok()) {
    ::unlink(tmp.c_str());
    return digest.status();
  }
  if (ToHex(*digest) != hex) {
    ::unlink(tmp.c_str());
    return Status::Corrupt("downloaded object " + std::string(hex) + " hashes to " +
                           ToHex(*digest));
  }
  const std::string object = PathOf(hex);
  if (::chmod(tmp.c_str(), 0444) != 0 || ::rename(tmp.c_str(), object.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(Errno(object, err));
  }
  return Status::Ok();
}

Status ObjectCache::Remove(std::string_view hex) {
  const std::string object = PathOf(hex);
  if (::unlink(object.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError(Errno(object, errno));
  }
  return Status::Ok();
}

Status ObjectCache::Sync(const std::vector<std::string>& ids) {
  constexpr size_t kFewObjects = 256;
  if (ids.empty()) return Status::Ok();
  if (ids.size() <= kFewObjects) {
    for (const auto& id : ids) {
      const std::string object = PathOf(id);
      for (const std::string& path : {object, object.substr(0, object.rfind('/'))}) {
        Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (f.get() < 0 || ::fsync(f.get()) != 0) return Status::IOError(Errno(path, errno));
      }
    }
    return Status::Ok();
  }
  Fd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::syncfs(fd.get()) != 0) return Status::IOError(Errno(root_, errno));
  return Status::Ok();
}

}  // namespace cairn::files
