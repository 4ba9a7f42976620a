#include "files/tracked.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

#include "base/file.h"
#include "base/progress.h"
#include "base/thread_pool.h"
#include "files/hash_cache.h"
#include "files/manifest_index.h"
#include "files/tree.h"
#include "store/object_store.h"

namespace cairn::files {

namespace fs = std::filesystem;

/// A tracked path: the data and its pointer file.
struct TrackedFiles::Target {
  std::string rel;      // the data, relative to the root ("data/images")
  std::string abs;      // the data, absolute
  std::string pointer;  // the pointer file, absolute
  std::string pointer_rel;
};

/// One working file being hashed, stored or compared.
struct TrackedFiles::Item {
  std::string key;  // root-relative path: the hash cache key
  std::string abs;
  FileStat stat;
  uint32_t mode = 0;
  bool symlink = false;
  std::string link_target;
};

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool IsLocalUri(const std::string& uri) {
  return uri.find("://") == std::string::npos || uri.rfind("file://", 0) == 0;
}

std::string LocalPath(const std::string& uri) {
  return uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
}

bool Executable(uint32_t mode) { return (mode & S_IXUSR) != 0; }

// Hashes the file at `path`, failing when it changes while being read; `stat` receives the
// tuple of the content that was hashed.
Result<Sha256Digest> HashStable(const std::string& path, FileStat* stat) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(Errno(path));
    return Status::IOError(Errno(path));
  }
  struct stat before {};
  struct stat after {};
  Sha256 sha;
  thread_local std::vector<char> buf(size_t{1} << 20);
  Status st;
  if (::fstat(fd, &before) != 0) st = Status::IOError(Errno(path));
  while (st.ok()) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Status::IOError(Errno(path));
      break;
    }
    if (n == 0) break;
    sha.Update(buf.data(), static_cast<size_t>(n));
  }
  if (st.ok() && ::fstat(fd, &after) != 0) st = Status::IOError(Errno(path));
  ::close(fd);
  CAIRN_RETURN_IF_ERROR(st);
  if (ToFileStat(before) != ToFileStat(after)) {
    return Status::IOError(path + ": changed while being read; try again");
  }
  *stat = ToFileStat(after);
  return sha.Finish();
}

// The stat tuple of `path`, following symbolic links.
Result<FileStat> StatFollow(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::IOError(Errno(path));
  return ToFileStat(st);
}

std::string Join(const std::string& dir, const std::string& rel) {
  return rel.empty() ? dir : dir + "/" + rel;
}

// Keeps the first `errors` failure of a parallel loop.
class FirstError {
 public:
  void Set(Status st) {
    if (st.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.ok()) status_ = std::move(st);
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return !status_.ok();
  }
  Status Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  Status status_;
};

}  // namespace

TrackedFiles::~TrackedFiles() = default;

Result<std::unique_ptr<TrackedFiles>> TrackedFiles::Open(const std::string& root,
                                                         const std::string& store_uri,
                                                         FilesOptions options) {
  if (root.empty()) {
    return Status::InvalidArgument(
        "tracked files need a workspace directory (CAIRN_HOME or a .cairn directory above the "
        "current one)");
  }
  std::error_code ec;
  const fs::path canonical = fs::canonical(root, ec);
  if (ec) return Status::IOError(root + ": " + ec.message());
  auto t = std::unique_ptr<TrackedFiles>(new TrackedFiles());  // NOLINT(modernize-make-unique)
  t->root_ = canonical.string();
  t->options_ = std::move(options);
  const std::string meta = t->root_ + "/.cairn";
  std::string cache_root = meta + "/cache";
  if (!store_uri.empty() && IsLocalUri(store_uri)) {
    fs::path p = fs::absolute(LocalPath(store_uri), ec);
    if (!ec) cache_root = p.lexically_normal().string();
  }
  CAIRN_ASSIGN_OR_RETURN(t->cache_, ObjectCache::Open(cache_root));
  t->hashes_ = std::make_unique<HashCache>(meta + "/hashcache");
  t->index_dir_ = meta + "/manifest-index";
  t->hashes_->Load();
  if (!t->hashes_->warning().empty()) t->warnings_.push_back(t->hashes_->warning());
  return t;
}

Result<TrackedFiles::Target> TrackedFiles::Resolve(const std::string& path, bool for_add) const {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  std::error_code ec;
  fs::path a = fs::absolute(p, ec).lexically_normal();
  if (ec) return Status::InvalidArgument(path + ": " + ec.message());
  std::string s = a.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  a = s;
  fs::path parent = fs::weakly_canonical(a.parent_path(), ec);
  if (ec) return Status::IOError(path + ": " + ec.message());
  const fs::path abs = parent / a.filename();
  const fs::path rel = abs.lexically_relative(root_);
  const std::string rs = rel.generic_string();
  if (rs.empty() || rs == "." || rs == ".." || rs.rfind("../", 0) == 0) {
    return Status::InvalidArgument(path + ": outside the workspace root " + root_);
  }
  if (rs == ".cairn" || rs.rfind(".cairn/", 0) == 0) {
    return Status::InvalidArgument(path + ": inside the workspace's .cairn directory");
  }
  Target t;
  t.rel = rs;
  t.abs = abs.string();
  if (!for_add && rs.size() > kPointerSuffix.size() &&
      rs.compare(rs.size() - kPointerSuffix.size(), kPointerSuffix.size(), kPointerSuffix) == 0) {
    struct stat st {};
    if (::stat(t.abs.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      t.rel.resize(t.rel.size() - kPointerSuffix.size());
      t.abs.resize(t.abs.size() - kPointerSuffix.size());
    }
  }
  if (for_add && rs.size() > kPointerSuffix.size() &&
      rs.compare(rs.size() - kPointerSuffix.size(), kPointerSuffix.size(), kPointerSuffix) == 0) {
    return Status::InvalidArgument(path + ": is a pointer file; add the data it describes");
  }
  t.pointer = t.abs + std::string(kPointerSuffix);
  t.pointer_rel = t.rel + std::string(kPointerSuffix);
  return t;
}

namespace {

// Pointer files under `dir` (absolute), not entering .cairn, .git or tracked directories.
Status FindPointerFiles(const std::string& dir, std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::IOError(Errno(dir));
  std::vector<std::pair<std::string, unsigned char>> names;
  while (struct dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == ".." || n == ".cairn" || n == ".git") continue;
    names.emplace_back(n, e->d_type);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::set<std::string> tracked;
  for (const auto& [n, type] : names) {
    if (n.size() > kPointerSuffix.size() &&
        n.compare(n.size() - kPointerSuffix.size(), kPointerSuffix.size(), kPointerSuffix) == 0) {
      tracked.insert(n.substr(0, n.size() - kPointerSuffix.size()));
    }
  }
  for (const auto& [n, type] : names) {
    std::string full = dir;
    full += '/';
    full += n;
    bool is_dir = type == DT_DIR;
    bool is_reg = type == DT_REG;
    if (type == DT_UNKNOWN) {
      struct stat st {};
      if (::lstat(full.c_str(), &st) != 0) continue;
      is_dir = S_ISDIR(st.st_mode);
      is_reg = S_ISREG(st.st_mode);
    }
    if (is_dir && tracked.count(n) == 0) {
      CAIRN_RETURN_IF_ERROR(FindPointerFiles(full, out));
    } else if (is_reg && tracked.count(n.substr(0, n.size() - kPointerSuffix.size())) != 0 &&
               n.size() > kPointerSuffix.size() &&
               n.compare(n.size() - kPointerSuffix.size(), kPointerSuffix.size(), kPointerSuffix) ==
                   0) {
      out->push_back(full);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<TrackedFiles::Target>> TrackedFiles::Pointers(
    const std::vector<std::string>& paths) const {
  std::vector<Target> out;
  auto add_found = [&](const std::string& dir, const std::string& shown) -> Status {
    std::vector<std::string> found;
    CAIRN_RETURN_IF_ERROR(FindPointerFiles(dir, &found));
    if (found.empty()) return Status::NotFound("no pointer files (*.cairn) under " + shown);
    for (const auto& f : found) {
      CAIRN_ASSIGN_OR_RETURN(Target t, Resolve(f, false));
      out.push_back(std::move(t));
    }
    return Status::Ok();
  };
  if (paths.empty()) {
    CAIRN_RETURN_IF_ERROR(add_found(root_, "the workspace " + root_));
    return out;
  }
  for (const auto& p : paths) {
    CAIRN_ASSIGN_OR_RETURN(Target t, Resolve(p, false));
    struct stat st {};
    if (::stat(t.pointer.c_str(), &st) == 0) {
      out.push_back(std::move(t));
      continue;
    }
    if (::stat(t.abs.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      CAIRN_RETURN_IF_ERROR(add_found(t.abs, p));
      continue;
    }
    return Status::NotFound(p + ": not tracked (no " + t.pointer_rel + ")");
  }
  return out;
}

Result<Pointer> TrackedFiles::ReadPointer(const Target& t) const {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(t.pointer));
  return ParsePointer(text, t.pointer_rel);
}

Result<store::ObjectStore*> TrackedFiles::Remote() {
  if (remote_ == nullptr) {
    if (options_.remote.empty()) {
      return Status::NotFound("no remote configured (pass --remote URI or set CAIRN_REMOTE)");
    }
    CAIRN_ASSIGN_OR_RETURN(remote_, store::OpenObjectStore(options_.remote));
  }
  return remote_.get();
}

Status TrackedFiles::Fetch(const std::string& hex) {
  CAIRN_ASSIGN_OR_RETURN(store::ObjectStore * remote, Remote());
  const std::string tmp = cache_->TempPath();
  Status st = remote->GetToFile(ObjectKey(hex), tmp);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    if (st.code() == StatusCode::kNotFound) {
      return Status::NotFound("object " + hex + " is missing from the remote " + options_.remote);
    }
    return st;
  }
  st = cache_->InstallVerified(tmp, hex);
  if (st.code() == StatusCode::kCorrupt) {
    return Status::Corrupt("object " + hex + " on the remote " + options_.remote +
                           " is damaged: " + st.message());
  }
  return st;
}

Result<std::vector<ManifestEntry>> TrackedFiles::Entries(const Target& t, const Pointer& p,
                                                         bool fetch) {
  if (p.kind == PointerKind::kFile) {
    ManifestEntry e;
    e.sha256 = p.sha256;
    e.size = p.size;
    e.executable = p.executable;
    return std::vector<ManifestEntry>{e};
  }
  auto text = cache_->ReadVerified(p.sha256);
  if (!text.ok() && fetch && !options_.remote.empty() &&
      (text.status().code() == StatusCode::kNotFound ||
       text.status().code() == StatusCode::kCorrupt)) {
    CAIRN_RETURN_IF_ERROR(cache_->Remove(p.sha256));
    CAIRN_RETURN_IF_ERROR(Fetch(p.sha256));
    text = cache_->ReadVerified(p.sha256);
  }
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return Status::NotFound(
          t.pointer_rel + ": the directory manifest " + p.sha256 + " is missing from the cache" +
          (options_.remote.empty() ? " and no remote is configured" : std::string()));
    }
    return text.status().WithPrefix(t.pointer_rel);
  }
  CAIRN_ASSIGN_OR_RETURN(auto entries, ParseManifest(*text, "manifest " + p.sha256));
  if (static_cast<int64_t>(entries.size()) != p.files) {
    return Status::Corrupt(t.pointer_rel + ": field 'files' says " + std::to_string(p.files) +
                           " but the manifest lists " + std::to_string(entries.size()));
  }
  return entries;
}

Result<std::unique_ptr<ManifestIndex>> TrackedFiles::Index(const Target& t, const Pointer& p) {
  if (p.kind == PointerKind::kFile) {
    ManifestIndex::Builder b(1);
    const Sha256Digest d = DigestFromHex(p.sha256);
    b.Add("", d.data(), p.size, p.executable);
    return b.Finish(p.sha256, false);
  }
  std::string warning;
  auto index = ManifestIndex::Open(index_dir_, p.sha256, &warning);
  if (!warning.empty()) warnings_.push_back(warning);
  if (index == nullptr) {
    auto text = cache_->ReadVerified(p.sha256);
    if (!text.ok()) {
      if (text.status().code() == StatusCode::kNotFound) {
        return Status::NotFound(t.pointer_rel + ": the directory manifest " + p.sha256 +
                                " is missing from the cache");
      }
      return text.status().WithPrefix(t.pointer_rel);
    }
    CAIRN_ASSIGN_OR_RETURN(index,
                           ManifestIndex::FromManifest(*text, p.sha256, "manifest " + p.sha256));
    // The index only saves work next time: failing to store it is not an error.
    (void)index->Write(index_dir_);
  }
  if (static_cast<int64_t>(index->size()) != p.files) {
    return Status::Corrupt(t.pointer_rel + ": field 'files' says " + std::to_string(p.files) +
                           " but the manifest lists " + std::to_string(index->size()));
  }
  return index;
}

Result<Sha256Digest> TrackedFiles::DigestOf(Item& item, int64_t* hashed, size_t* cursor) {
  if (item.symlink) {
    // A link into the cache names its content.
    const std::string prefix = cache_->root() + "/" + std::string(kObjectPrefix);
    const std::string& l = item.link_target;
    if (l.size() == prefix.size() + 65 && l.compare(0, prefix.size(), prefix) == 0 &&
        l[prefix.size() + 2] == '/') {
      const std::string hex = l.substr(prefix.size(), 2) + l.substr(prefix.size() + 3);
      if (IsSha256Hex(hex)) {
        Sha256Digest d;
        for (size_t i = 0; i < 32; ++i) {
          d[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
        }
        return d;
      }
    }
  }
  if (auto hit = hashes_->Lookup(item.key, item.stat, cursor)) return *hit;
  FileStat now;
  CAIRN_ASSIGN_OR_RETURN(Sha256Digest d, HashStable(item.abs, &now));
  item.stat = now;
  ++*hashed;
  hashes_->Record(item.key, now, d);
  return d;
}

// ---------------------------------------------------------------------------------------------
// add

Result<std::vector<AddResult>> TrackedFiles::Add(const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::InvalidArgument("expected at least one path to add");
  std::vector<Target> targets;
  for (const auto& p : paths) {
    CAIRN_ASSIGN_OR_RETURN(Target t, Resolve(p, true));
    targets.push_back(std::move(t));
  }
  std::vector<AddResult> results;
  for (const auto& t : targets) {
    auto r = AddOne(t);
    if (!r.ok()) {
      (void)hashes_->Save();
      return r.status();
    }
    results.push_back(std::move(*r));
  }
  CAIRN_RETURN_IF_ERROR(hashes_->Save());
  return results;
}

namespace {

constexpr uint32_t kNoEntry = UINT32_MAX;
// Files compared per task of a parallel loop: consecutive files make consecutive hash cache
// lookups, which then need no hash probe.
constexpr size_t kBlock = 4096;

// For each working file (PathLess order), the manifest entry with the same path, or kNoEntry;
// `deleted` (if given) receives the entries that no working file matches.
std::vector<uint32_t> MatchEntries(const ManifestIndex* index, const std::vector<TreeFile>& work,
                                   std::vector<uint32_t>* deleted) {
  std::vector<uint32_t> match(work.size(), kNoEntry);
  const size_t n = index == nullptr ? 0 : index->size();
  size_t i = 0;
  size_t j = 0;
  while (i < n || j < work.size()) {
    if (i < n && j < work.size() && index->path(i) == work[j].path) {
      match[j++] = static_cast<uint32_t>(i++);
    } else if (j == work.size() || (i < n && PathLess(index->path(i), work[j].path))) {
      if (deleted != nullptr) deleted->push_back(static_cast<uint32_t>(i));
      ++i;
    } else {
      ++j;
    }
  }
  return match;
}

// Whether `add` with `mode` would leave the working file `f`, whose content is already in the
// cache, as it is: it is a link already, or a copy is what was asked for, or an executable
// (never hardlinked), or a hardlink (its stat tuple, inode included, is the one recorded
// when it was linked).
bool LinkSettled(const TreeFile& f, LinkMode mode) {
  if (f.symlink || Executable(f.mode)) return true;
  switch (mode) {
    case LinkMode::kCopy:
      return true;
    case LinkMode::kAuto:
    case LinkMode::kHardlink:
      return f.links > 1;
    default:
      return false;
  }
}

}  // namespace

Result<AddResult> TrackedFiles::AddOne(const Target& t) {
  struct stat st {};
  if (::lstat(t.abs.c_str(), &st) != 0) {
    return Status::NotFound(t.rel + ": no such file or directory");
  }
  const bool is_dir = S_ISDIR(st.st_mode);
  if (!is_dir && !S_ISREG(st.st_mode)) {
    return Status::Unsupported(t.rel + ": only regular files and directories can be added");
  }
  Tree tree;
  if (is_dir) {
    CAIRN_ASSIGN_OR_RETURN(tree, WalkTree(t.abs, options_.threads));
    for (const TreeFile& f : tree.files) {
      if (f.path.find('\n') != std::string_view::npos) {
        return Status::Unsupported(t.rel + "/" + std::string(f.path) +
                                   ": file names with newlines cannot be tracked");
      }
    }
  } else {
    TreeFile f;
    f.stat = ToFileStat(st);
    f.mode = st.st_mode;
    f.links = st.st_nlink;
    tree.files.push_back(f);
  }
  const std::vector<TreeFile>& work = tree.files;
  const std::string prefix = is_dir ? t.rel + "/" : t.rel;
  const PointerKind kind = is_dir ? PointerKind::kDirectory : PointerKind::kFile;

  // The previous pointer, if any: files whose stat tuple is unchanged since they were hashed,
  // whose content is what the previous manifest says and that are linked as asked keep their
  // entries, with no object or link to check. Only an index that `add` or `checkout` wrote
  // vouches that the manifest's objects are all in the cache.
  std::string old_pointer_text;
  std::unique_ptr<ManifestIndex> old;
  if (auto text = ReadFileToString(t.pointer); text.ok()) {
    old_pointer_text = std::move(*text);
    auto op = ParsePointer(old_pointer_text, t.pointer_rel);
    if (op.ok() && op->kind == kind) {
      auto index = Index(t, *op);
      if (index.ok() && (*index)->complete()) old = std::move(*index);
    }
  }
  const std::vector<uint32_t> match = MatchEntries(old.get(), work, nullptr);

  AddResult result;
  result.pointer = t.pointer_rel;
  result.kind = kind;
  std::vector<Sha256Digest> digests(work.size());
  std::vector<int64_t> sizes(work.size());
  std::vector<uint8_t> settled(work.size(), 0);
  std::atomic<int64_t> hashed{0};
  std::atomic<int64_t> stored{0};
  std::atomic<size_t> known{0};
  FirstError error;
  std::mutex new_mu;
  std::vector<std::string> new_objects;  // guarded by new_mu
  Progress progress("add " + t.rel, static_cast<int64_t>(work.size()), "files");
  const LinkMode mode = options_.link;
  const auto blocks = static_cast<int64_t>((work.size() + kBlock - 1) / kBlock);
  ParallelFor(blocks, options_.threads, [&](int64_t block) {
    std::string key = prefix;
    size_t cursor = 0;
    size_t known_here = 0;
    const size_t begin = static_cast<size_t>(block) * kBlock;
    const size_t end = std::min(work.size(), begin + kBlock);
    for (size_t j = begin; j < end && !error.failed(); ++j) {
      const TreeFile& f = work[j];
      key.resize(prefix.size());
      key += f.path;
      bool is_known = false;
      const auto hit = hashes_->Lookup(key, f.stat, &cursor, &is_known);
      if (is_known) ++known_here;
      const uint32_t e = match[j];
      if (hit && e != kNoEntry && std::memcmp(hit->data(), old->digest(e), 32) == 0 &&
          old->executable(e) == Executable(f.mode) && LinkSettled(f, mode)) {
        digests[j] = *hit;
        sizes[j] = f.stat.size;
        settled[j] = 1;
        continue;
      }
      Item it;
      it.key = key;
      it.abs = Join(t.abs, std::string(f.path));
      it.stat = f.stat;
      it.mode = f.mode;
      it.symlink = f.symlink;
      it.link_target = std::string(f.link_target);
      int64_t h = 0;
      size_t single = 0;  // a lone lookup: a binary search, no hash index to build
      auto d = DigestOf(it, &h, &single);
      if (!d.ok()) return error.Set(d.status());
      hashed += h;
      digests[j] = *d;
      const std::string hex = ToHex(*d);
      const bool exec = Executable(it.mode);
      bool relinked = false;
      if (it.symlink) {
        // Already a link (into the cache, or to a file outside it): store the content.
        auto r = cache_->Insert(it.abs, hex, true, LinkMode::kCopy);
        if (!r.ok()) return error.Set(r.status());
        if (r->has_value()) {
          ++stored;
          std::lock_guard<std::mutex> lock(new_mu);
          new_objects.push_back(hex);
        }
      } else {
        auto r = cache_->Insert(it.abs, hex, exec, mode);
        if (!r.ok()) return error.Set(r.status());
        if (r->has_value()) {
          ++stored;
          {
            std::lock_guard<std::mutex> lock(new_mu);
            new_objects.push_back(hex);
          }
          relinked = **r == LinkMode::kHardlink || **r == LinkMode::kSymlink;
        } else if (mode != LinkMode::kCopy && !exec) {
          // The content was already cached: link the working copy to it unless it is already.
          struct stat ost {};
          const std::string object = cache_->PathOf(hex);
          if (::stat(object.c_str(), &ost) != 0) return error.Set(Status::IOError(Errno(object)));
          if (static_cast<uint64_t>(ost.st_ino) != it.stat.inode ||
              static_cast<uint64_t>(ost.st_dev) != it.stat.device) {
            auto m = cache_->Materialize(hex, it.stat.size, exec, it.abs, mode);
            if (!m.ok()) return error.Set(m.status());
            // The working file is now the cached object (or a copy of it).
            auto now = StatFollow(it.abs);
            if (!now.ok()) return error.Set(now.status());
            it.stat = *now;
          }
        }
      }
      if (relinked) {
        auto now = StatFollow(it.abs);
        if (!now.ok()) return error.Set(now.status());
        if (now->mtime_ns != it.stat.mtime_ns || now->size != it.stat.size) {
          return error.Set(Status::IOError(it.abs + ": changed while being added; try again"));
        }
        it.stat = *now;
      }
      sizes[j] = it.stat.size;
      if (!hit || it.stat != f.stat) hashes_->Record(it.key, it.stat, *d);
    }
    known += known_here;
    progress.Add(static_cast<int64_t>(end - begin));
  });
  progress.Finish();
  CAIRN_RETURN_IF_ERROR(error.Take());
  result.hashed = hashed.load();
  result.stored = stored.load();
  // Entries of files that are gone from the directory are dropped from the hash cache (which
  // is then rewritten); when every entry under it matched a working file, there is none.
  if (is_dir && hashes_->CountUnder(prefix) > known.load()) hashes_->DropUnder(prefix);

  Pointer p;
  p.kind = kind;
  for (const int64_t size : sizes) result.bytes += size;
  const bool same_as_before =
      old != nullptr && old->size() == work.size() &&
      std::all_of(settled.begin(), settled.end(), [](uint8_t s) { return s != 0; });
  if (is_dir) {
    if (same_as_before) {
      // Every entry is the previous manifest's: so is the manifest, already in the cache.
      p.sha256 = std::string(old->manifest_hex());
    } else {
      ManifestIndex::Builder b(work.size());
      for (size_t j = 0; j < work.size(); ++j) {
        b.Add(work[j].path, digests[j].data(), sizes[j], Executable(work[j].mode));
      }
      const std::string manifest = b.FormatManifest();
      p.sha256 = Sha256Hex(manifest);
      CAIRN_RETURN_IF_ERROR(cache_->PutBytes(p.sha256, manifest));
      new_objects.push_back(p.sha256);
      // Every object it names is now in the cache: the index is complete. It only saves
      // work next time, so failing to store it is not an error.
      (void)b.Finish(p.sha256, true)->Write(index_dir_);
    }
    p.files = static_cast<int64_t>(work.size());
    p.size = result.bytes;
  } else {
    p.sha256 = ToHex(digests[0]);
    p.size = sizes[0];
    p.executable = Executable(work[0].mode);
  }
  result.files = static_cast<int64_t>(work.size());
  result.sha256 = p.sha256;
  // Objects are durable before the pointer that names them.
  CAIRN_RETURN_IF_ERROR(cache_->Sync(new_objects));
  const std::string pointer_text = FormatPointer(p);
  if (pointer_text != old_pointer_text) {
    CAIRN_RETURN_IF_ERROR(WriteStringToFile(t.pointer, pointer_text));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// status

Result<std::vector<StatusResult>> TrackedFiles::Check(const std::vector<std::string>& paths) {
  CAIRN_ASSIGN_OR_RETURN(auto targets, Pointers(paths));
  std::vector<StatusResult> results;
  for (const auto& t : targets) {
    auto r = CheckOne(t);
    if (!r.ok()) {
      (void)hashes_->Save();
      return r.status();
    }
    results.push_back(std::move(*r));
  }
  CAIRN_RETURN_IF_ERROR(hashes_->Save());
  return results;
}

namespace {

// A working tree (or a single file) as items, in PathLess order.
Result<Tree> WorkingFiles(const std::string& abs, PointerKind kind, int threads) {
  if (kind == PointerKind::kDirectory) {
    auto tree = WalkTree(abs, threads);
    if (!tree.ok() && tree.status().code() == StatusCode::kNotFound) return Tree();
    return tree;
  }
  Tree tree;
  struct stat st {};
  if (::lstat(abs.c_str(), &st) != 0) {
    if (errno == ENOENT) return tree;
    return Status::IOError(Errno(abs));
  }
  TreeFile f;
  if (S_ISLNK(st.st_mode)) {
    f.symlink = true;
    char buf[4096];
    const ssize_t n = ::readlink(abs.c_str(), buf, sizeof buf);
    tree.buffers.emplace_back(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
    f.link_target = tree.buffers.back();
    if (::stat(abs.c_str(), &st) != 0) return Status::Unsupported(abs + ": dangling link");
  }
  if (!S_ISREG(st.st_mode)) return Status::Unsupported(abs + ": not a regular file");
  f.stat = ToFileStat(st);
  f.mode = st.st_mode;
  f.links = st.st_nlink;
  tree.files.push_back(f);
  return tree;
}

}  // namespace

Result<StatusResult> TrackedFiles::CheckOne(const Target& t) {
  StatusResult r;
  r.pointer = t.pointer_rel;
  CAIRN_ASSIGN_OR_RETURN(Pointer p, ReadPointer(t));
  r.kind = p.kind;
  r.files = p.kind == PointerKind::kDirectory ? p.files : 1;
  const bool is_dir = p.kind == PointerKind::kDirectory;
  // The manifest (or the file's object) must be in the cache; its index, if there is one,
  // spares reading it.
  CAIRN_ASSIGN_OR_RETURN(auto object_size, cache_->SizeOf(p.sha256));
  if (is_dir && !object_size.has_value()) {
    r.missing_from_cache = true;
    return r;
  }
  auto indexed = Index(t, p);
  if (!indexed.ok()) {
    if (indexed.status().code() != StatusCode::kNotFound) return indexed.status();
    r.missing_from_cache = true;
    return r;
  }
  const ManifestIndex& index = **indexed;
  r.missing_from_cache = !object_size.has_value();
  CAIRN_ASSIGN_OR_RETURN(Tree tree, WorkingFiles(t.abs, p.kind, options_.threads));
  const std::vector<TreeFile>& work = tree.files;
  std::vector<uint32_t> deleted;
  const std::vector<uint32_t> match = MatchEntries(&index, work, &deleted);
  for (const uint32_t i : deleted) r.deleted.emplace_back(index.path(i));
  for (size_t j = 0; j < work.size(); ++j) {
    if (match[j] == kNoEntry) r.added.emplace_back(work[j].path);
  }
  // Compare the files on both sides: by size and mode, then by the hash cache's digest, and
  // only when it has none by reading the file.
  const std::string prefix = is_dir ? t.rel + "/" : t.rel;
  std::vector<uint8_t> changed(work.size(), 0);
  std::atomic<int64_t> hashed{0};
  FirstError error;
  const auto blocks = static_cast<int64_t>((work.size() + kBlock - 1) / kBlock);
  ParallelFor(blocks, options_.threads, [&](int64_t block) {
    std::string key = prefix;
    size_t cursor = 0;
    const size_t begin = static_cast<size_t>(block) * kBlock;
    const size_t end = std::min(work.size(), begin + kBlock);
    for (size_t j = begin; j < end && !error.failed(); ++j) {
      const uint32_t e = match[j];
      if (e == kNoEntry) continue;
      const TreeFile& w = work[j];
      if (w.stat.size != index.file_size(e) || Executable(w.mode) != index.executable(e)) {
        changed[j] = 1;
        continue;
      }
      key.resize(prefix.size());
      key += w.path;
      std::optional<Sha256Digest> d;
      if (!w.symlink) d = hashes_->Lookup(key, w.stat, &cursor);
      if (!d) {
        Item it;
        it.key = key;
        it.abs = Join(t.abs, std::string(w.path));
        it.stat = w.stat;
        it.mode = w.mode;
        it.symlink = w.symlink;
        it.link_target = std::string(w.link_target);
        int64_t h = 0;
        size_t single = 0;  // a lone lookup: a binary search, no hash index to build
        auto digest = DigestOf(it, &h, &single);
        if (!digest.ok()) return error.Set(digest.status());
        hashed += h;
        d = *digest;
      }
      if (std::memcmp(d->data(), index.digest(e), 32) != 0) changed[j] = 1;
    }
  });
  CAIRN_RETURN_IF_ERROR(error.Take());
  r.hashed = hashed.load();
  for (size_t j = 0; j < work.size(); ++j) {
    if (changed[j] != 0) r.modified.emplace_back(work[j].path);
  }
  if (options_.verify) {
    std::vector<std::string> ids;
    ids.reserve(index.size() + 1);
    for (size_t i = 0; i < index.size(); ++i) {
      Sha256Digest d;
      std::memcpy(d.data(), index.digest(i), 32);
      ids.push_back(ToHex(d));
    }
    if (is_dir) ids.push_back(p.sha256);  // the manifest itself
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<uint8_t> state(ids.size(), 0);  // 1 missing, 2 corrupt
    Progress progress("verify " + t.pointer_rel, static_cast<int64_t>(ids.size()), "objects");
    ParallelFor(static_cast<int64_t>(ids.size()), options_.threads, [&](int64_t k) {
      auto d = cache_->HashObject(ids[static_cast<size_t>(k)]);
      if (!d.ok()) {
        if (d.status().code() == StatusCode::kNotFound) {
          state[static_cast<size_t>(k)] = 1;
        } else {
          error.Set(d.status());
        }
      } else if (ToHex(*d) != ids[static_cast<size_t>(k)]) {
        state[static_cast<size_t>(k)] = 2;
      }
      progress.Add(1);
    });
    progress.Finish();
    CAIRN_RETURN_IF_ERROR(error.Take());
    for (size_t k = 0; k < ids.size(); ++k) {
      if (state[k] == 1) r.objects_missing.push_back(ids[k]);
      if (state[k] == 2) r.objects_corrupt.push_back(ids[k]);
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// checkout

Result<std::vector<CheckoutResult>> TrackedFiles::Checkout(const std::vector<std::string>& paths) {
  CAIRN_ASSIGN_OR_RETURN(auto targets, Pointers(paths));
  std::vector<CheckoutResult> results;
  for (const auto& t : targets) {
    auto r = CheckoutOne(t);
    if (!r.ok()) {
      (void)hashes_->Save();
      return r.status();
    }
    results.push_back(std::move(*r));
  }
  CAIRN_RETURN_IF_ERROR(hashes_->Save());
  return results;
}

Result<CheckoutResult> TrackedFiles::CheckoutOne(const Target& t) {
  CheckoutResult r;
  r.pointer = t.pointer_rel;
  CAIRN_ASSIGN_OR_RETURN(Pointer p, ReadPointer(t));
  CAIRN_ASSIGN_OR_RETURN(auto entries, Entries(t, p, true));
  CAIRN_ASSIGN_OR_RETURN(Tree tree, WorkingFiles(t.abs, p.kind, options_.threads));
  std::vector<TreeFile>& work = tree.files;
  const bool is_dir = p.kind == PointerKind::kDirectory;
  if (is_dir) {
    struct stat st {};
    if (::lstat(t.abs.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument(t.rel + ": is a file but " + t.pointer_rel +
                                     " describes a directory; move it away first");
    }
  }
  // One action per path of either side.
  struct Action {
    const ManifestEntry* want = nullptr;  // null: not in the pointer
    TreeFile* have = nullptr;             // null: not in the working tree
  };
  std::vector<Action> actions;
  actions.reserve(std::max(entries.size(), work.size()));
  size_t i = 0;
  size_t j = 0;
  while (i < entries.size() || j < work.size()) {
    if (j == work.size() || (i < entries.size() && PathLess(entries[i].path, work[j].path))) {
      actions.push_back({&entries[i++], nullptr});
    } else if (i == entries.size() || PathLess(work[j].path, entries[i].path)) {
      actions.push_back({nullptr, &work[j++]});
    } else {
      actions.push_back({&entries[i++], &work[j++]});
    }
  }
  std::mutex mu;
  std::atomic<int64_t> written{0}, unchanged{0}, removed{0}, refetched{0};
  FirstError error;
  std::set<std::string> fetched;  // guarded by mu
  Progress progress("checkout " + t.rel, static_cast<int64_t>(actions.size()), "files");
  const bool explicit_mode = options_.link_explicit;
  ParallelFor(static_cast<int64_t>(actions.size()), options_.threads, [&](int64_t k) {
    if (error.failed()) return;
    const Action& a = actions[static_cast<size_t>(k)];
    const std::string rel(a.want != nullptr ? std::string_view(a.want->path) : a.have->path);
    Item it;
    it.key = is_dir ? t.rel + "/" + rel : t.rel;
    it.abs = Join(t.abs, rel);
    bool same_inode_as_object = false;
    std::string have_hex;
    if (a.have != nullptr) {
      it.stat = a.have->stat;
      it.mode = a.have->mode;
      it.symlink = a.have->symlink;
      it.link_target = std::string(a.have->link_target);
      int64_t h = 0;
      auto d = DigestOf(it, &h);
      if (!d.ok()) return error.Set(d.status());
      have_hex = ToHex(*d);
      if (a.want != nullptr && !it.symlink && a.have->links > 1) {
        struct stat ost {};
        const std::string object = cache_->PathOf(a.want->sha256);
        same_inode_as_object = ::stat(object.c_str(), &ost) == 0 &&
                               static_cast<uint64_t>(ost.st_ino) == it.stat.inode &&
                               static_cast<uint64_t>(ost.st_dev) == it.stat.device;
      }
    }
    // Whether the current working content can be recovered from the cache.
    auto recoverable = [&]() {
      if (have_hex.empty()) return true;
      auto size = cache_->SizeOf(have_hex);
      return size.ok() && size->has_value();
    };
    if (a.want == nullptr) {
      if (recoverable() || options_.force) {
        if (::unlink(it.abs.c_str()) != 0) return error.Set(Status::IOError(Errno(it.abs)));
        ++removed;
      } else {
        std::lock_guard<std::mutex> lock(mu);
        r.untracked.push_back(rel);
      }
      progress.Add(1);
      return;
    }
    const ManifestEntry& want = *a.want;
    if (a.have != nullptr) {
      const bool content_ok = have_hex == want.sha256 && Executable(it.mode) == want.executable;
      bool kind_ok = true;
      if (explicit_mode && content_ok) {
        const bool is_link = it.symlink;
        switch (options_.link) {
          case LinkMode::kSymlink:
            kind_ok = is_link || want.executable;
            break;
          case LinkMode::kHardlink:
            kind_ok = same_inode_as_object || want.executable;
            break;
          default:
            kind_ok = !is_link && !same_inode_as_object;
        }
      }
      if (content_ok && kind_ok) {
        ++unchanged;
        progress.Add(1);
        return;
      }
      // A damaged object shows as a working hardlink whose content does not match: refetch.
      if (!same_inode_as_object && !content_ok && !recoverable() && !options_.force) {
        std::lock_guard<std::mutex> lock(mu);
        r.conflicts.push_back(rel);
        progress.Add(1);
        return;
      }
      if (same_inode_as_object && !content_ok) {
        (void)cache_->Remove(want.sha256);
      }
    }
    auto m = cache_->Materialize(want.sha256, want.size, want.executable, it.abs, options_.link);
    if (!m.ok() &&
        (m.status().code() == StatusCode::kCorrupt || m.status().code() == StatusCode::kNotFound)) {
      bool got = false;
      if (!options_.remote.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        if (fetched.count(want.sha256) == 0) {
          Status rm = cache_->Remove(want.sha256);
          Status f = rm.ok() ? Fetch(want.sha256) : rm;
          if (f.ok()) {
            fetched.insert(want.sha256);
            ++refetched;
          }
        }
        got = fetched.count(want.sha256) != 0;
      }
      if (got) {
        m = cache_->Materialize(want.sha256, want.size, want.executable, it.abs, options_.link);
      }
      if (!m.ok() && (m.status().code() == StatusCode::kCorrupt ||
                      m.status().code() == StatusCode::kNotFound)) {
        std::lock_guard<std::mutex> lock(mu);
        r.unavailable.push_back(want.sha256);
        progress.Add(1);
        return;
      }
    }
    if (!m.ok()) return error.Set(m.status());
    ++written;
    auto now = StatFollow(it.abs);
    if (!now.ok()) return error.Set(now.status());
    Sha256Digest d{};
    for (size_t b = 0; b < 32; ++b) {
      d[b] = static_cast<uint8_t>(std::stoi(want.sha256.substr(2 * b, 2), nullptr, 16));
    }
    hashes_->Record(it.key, *now, d);
    progress.Add(1);
  });
  progress.Finish();
  CAIRN_RETURN_IF_ERROR(error.Take());
  r.written = written.load();
  r.unchanged = unchanged.load();
  r.removed = removed.load();
  r.refetched = refetched.load();
  std::sort(r.conflicts.begin(), r.conflicts.end(), PathLess);
  std::sort(r.untracked.begin(), r.untracked.end(), PathLess);
  std::sort(r.unavailable.begin(), r.unavailable.end());
  r.unavailable.erase(std::unique(r.unavailable.begin(), r.unavailable.end()), r.unavailable.end());
  if (is_dir && entries.empty()) {
    std::error_code ec;
    fs::create_directories(t.abs, ec);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// push and pull

Result<std::vector<std::pair<std::string, int64_t>>> TrackedFiles::NeededObjects(
    const std::vector<Target>& targets, bool fetch_manifests) {
  std::vector<std::pair<std::string, int64_t>> ids;
  for (const auto& t : targets) {
    CAIRN_ASSIGN_OR_RETURN(Pointer p, ReadPointer(t));
    if (p.kind == PointerKind::kDirectory) {
      CAIRN_ASSIGN_OR_RETURN(auto entries, Entries(t, p, fetch_manifests));
      CAIRN_ASSIGN_OR_RETURN(auto msize, cache_->SizeOf(p.sha256));
      ids.emplace_back(p.sha256, msize.value_or(-1));
      for (const auto& e : entries) ids.emplace_back(e.sha256, e.size);
    } else {
      ids.emplace_back(p.sha256, p.size);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            ids.end());
  return ids;
}

Result<TransferResult> TrackedFiles::Push(const std::vector<std::string>& paths) {
  CAIRN_ASSIGN_OR_RETURN(auto targets, Pointers(paths));
  CAIRN_ASSIGN_OR_RETURN(store::ObjectStore * remote, Remote());
  CAIRN_ASSIGN_OR_RETURN(auto ids, NeededObjects(targets, false));
  TransferResult r;
  r.objects = static_cast<int64_t>(ids.size());
  CAIRN_ASSIGN_OR_RETURN(auto listing, remote->List(kObjectPrefix));
  std::set<std::string> present;
  for (const auto& o : listing) present.insert(o.key);
  std::vector<std::pair<std::string, int64_t>> todo;
  for (const auto& id : ids) {
    if (present.count(ObjectKey(id.first)) == 0) todo.push_back(id);
  }
  std::mutex mu;
  FirstError error;
  std::atomic<int64_t> transferred{0}, bytes{0};
  Progress progress("push", static_cast<int64_t>(todo.size()), "objects");
  ParallelFor(static_cast<int64_t>(todo.size()), options_.transfer_threads, [&](int64_t k) {
    if (error.failed()) return;
    const auto& [hex, size] = todo[static_cast<size_t>(k)];
    auto have = cache_->SizeOf(hex);
    if (!have.ok()) return error.Set(have.status());
    if (!have->has_value() || (size >= 0 && **have != size)) {
      std::lock_guard<std::mutex> lock(mu);
      (have->has_value() ? r.corrupt : r.missing).push_back(hex);
      return;
    }
    Status st = remote->PutFile(ObjectKey(hex), cache_->PathOf(hex));
    if (!st.ok()) return error.Set(st);
    ++transferred;
    bytes += **have;
    progress.Add(1);
  });
  progress.Finish();
  CAIRN_RETURN_IF_ERROR(error.Take());
  r.transferred = transferred.load();
  r.bytes = bytes.load();
  std::sort(r.missing.begin(), r.missing.end());
  std::sort(r.corrupt.begin(), r.corrupt.end());
  return r;
}

Result<TransferResult> TrackedFiles::Pull(const std::vector<std::string>& paths) {
  CAIRN_ASSIGN_OR_RETURN(auto targets, Pointers(paths));
  CAIRN_RETURN_IF_ERROR(Remote().status());
  CAIRN_ASSIGN_OR_RETURN(auto ids, NeededObjects(targets, true));
  TransferResult r;
  r.objects = static_cast<int64_t>(ids.size());
  std::mutex mu;
  FirstError error;
  std::atomic<int64_t> transferred{0}, bytes{0};
  Progress progress("pull", static_cast<int64_t>(ids.size()), "objects");
  ParallelFor(static_cast<int64_t>(ids.size()), options_.transfer_threads, [&](int64_t k) {
    if (error.failed()) return;
    const auto& [hex, size] = ids[static_cast<size_t>(k)];
    progress.Add(1);
    auto have = cache_->SizeOf(hex);
    if (!have.ok()) return error.Set(have.status());
    bool good = have->has_value() && (size < 0 || **have == size);
    if (good && options_.verify) {
      auto d = cache_->HashObject(hex);
      if (!d.ok()) return error.Set(d.status());
      good = ToHex(*d) == hex;
    }
    if (good) return;
    if (have->has_value()) {
      Status rm = cache_->Remove(hex);
      if (!rm.ok()) return error.Set(rm);
    }
    Status st = Fetch(hex);
    if (st.code() == StatusCode::kNotFound || st.code() == StatusCode::kCorrupt) {
      std::lock_guard<std::mutex> lock(mu);
      (st.code() == StatusCode::kNotFound ? r.missing : r.corrupt).push_back(hex);
      return;
    }
    if (!st.ok()) return error.Set(st);
    ++transferred;
    auto now = cache_->SizeOf(hex);
    if (now.ok() && now->has_value()) bytes += **now;
  });
  progress.Finish();
  CAIRN_RETURN_IF_ERROR(error.Take());
  r.transferred = transferred.load();
  r.bytes = bytes.load();
  std::sort(r.missing.begin(), r.missing.end());
  std::sort(r.corrupt.begin(), r.corrupt.end());
  return r;
}

// ---------------------------------------------------------------------------------------------
// unprotect

Result<int64_t> TrackedFiles::Unprotect(const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::InvalidArgument("expected at least one path");
  int64_t count = 0;
  for (const auto& path : paths) {
    CAIRN_ASSIGN_OR_RETURN(Target t, Resolve(path, true));
    struct stat st {};
    if (::lstat(t.abs.c_str(), &st) != 0) return Status::NotFound(Errno(path));
    Tree tree;
    std::string base = t.abs;
    if (S_ISDIR(st.st_mode)) {
      CAIRN_ASSIGN_OR_RETURN(tree, WalkTree(t.abs, options_.threads));
    } else {
      CAIRN_ASSIGN_OR_RETURN(tree, WorkingFiles(t.abs, PointerKind::kFile, 1));
    }
    const std::vector<TreeFile>& files = tree.files;
    const mode_t mask = ::umask(0);
    ::umask(mask);
    for (const auto& f : files) {
      const bool linked = f.symlink || f.links > 1 || (f.mode & S_IWUSR) == 0;
      if (!linked) continue;
      const std::string abs = Join(base, std::string(f.path));
      const std::string tmp = abs + ".cairn-unprotect-" + std::to_string(::getpid());
      const unsigned mode = (Executable(f.mode) ? 0777U : 0666U) & ~static_cast<unsigned>(mask);
      std::error_code ec;
      fs::copy_file(abs, tmp, fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IOError(abs + ": " + ec.message());
      if (::chmod(tmp.c_str(), mode) != 0 || ::rename(tmp.c_str(), abs.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return Status::IOError(abs + ": " + std::strerror(err));
      }
      ++count;
    }
  }
  return count;
}

}  // namespace cairn::files
