#include "files/hash_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace cairn::files {
namespace {

// Layout (little-endian; docs/files.md):
//   header  (32 bytes): magic "CAIRNHC1", u64 count, u64 written_at_ns, u64 strings size
//   records (count x 80): u32 path offset, u32 path length, u64 device, u64 inode,
//           i64 size, i64 mtime_ns, i64 ctime_ns, 32-byte SHA-256
//   strings (paths, concatenated, sorted by byte order)
//   trailer (8 bytes): XXH3-64 of everything before it
constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'H', 'C', '1'};
constexpr size_t kHeader = 32;
constexpr size_t kRecord = 80;

template <typename T>
T Load64(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void Append(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

FileStat StatAt(const char* rec) {
  FileStat s;
  s.device = Load64<uint64_t>(rec + 8);
  s.inode = Load64<uint64_t>(rec + 16);
  s.size = Load64<int64_t>(rec + 24);
  s.mtime_ns = Load64<int64_t>(rec + 32);
  s.ctime_ns = Load64<int64_t>(rec + 40);
  return s;
}

void AppendRecord(std::string* out, uint32_t offset, uint32_t length, const FileStat& s,
                  const uint8_t* digest) {
  Append(out, offset);
  Append(out, length);
  Append(out, s.device);
  Append(out, s.inode);
  Append(out, s.size);
  Append(out, s.mtime_ns);
  Append(out, s.ctime_ns);
  out->append(reinterpret_cast<const char*>(digest), 32);
}

}  // namespace

HashCache::~HashCache() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

void HashCache::Load() {
  // Mapped rather than read: a million entries are ~100 MB that the page cache already holds.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) warning_ = path_ + ": " + std::strerror(errno);
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    warning_ = path_ + ": " + std::strerror(errno);
    ::close(fd);
    return;
  }
  const auto size = static_cast<size_t>(st.st_size);
  auto discard = [&](const std::string& why) {
    warning_ = path_ + ": " + why + "; the hash cache is rebuilt";
  };
  if (size < kHeader + 8) {
    ::close(fd);
    discard("not a cairn hash cache");
    return;
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) {
    warning_ = path_ + ": " + std::strerror(errno);
    return;
  }
  const char* b = static_cast<const char*>(map);
  auto reject = [&](const std::string& why) {
    ::munmap(map, size);
    discard(why);
  };
  if (std::memcmp(b, kMagic, 8) != 0) return reject("not a cairn hash cache");
  const auto count = Load64<uint64_t>(b + 8);
  const auto strings = Load64<uint64_t>(b + 24);
  if (count > (uint64_t{1} << 31) || strings > size ||
      kHeader + count * kRecord + strings + 8 != size) {
    return reject("truncated");
  }
  if (Xxh3Bytes(b, size - 8) != Load64<uint64_t>(b + size - 8)) {
    return reject("checksum mismatch");
  }
  for (uint64_t i = 0; i < count; ++i) {
    const char* rec = b + kHeader + i * kRecord;
    if (uint64_t{Load64<uint32_t>(rec)} + Load64<uint32_t>(rec + 4) > strings) {
      return reject("entry " + std::to_string(i) + " points outside the path table");
    }
  }
  written_at_ns_ = Load64<int64_t>(b + 16);
  count_ = static_cast<size_t>(count);
  seen_ = std::make_unique<std::atomic<uint8_t>[]>(count_);
  data_ = b;
  size_ = size;
}

HashCache::View HashCache::EntryAt(size_t i) const {
  const char* rec = data_ + kHeader + i * kRecord;
  const char* strings = data_ + kHeader + count_ * kRecord;
  return {std::string_view(strings + Load64<uint32_t>(rec), Load64<uint32_t>(rec + 4)), rec};
}

void HashCache::BuildIndex() const {
  size_t slots = 16;
  while (slots < count_ * 2) slots *= 2;
  index_.assign(slots, 0);
  index_mask_ = slots - 1;
  for (size_t i = 0; i < count_; ++i) {
    uint64_t h = Xxh3(EntryAt(i).path) & index_mask_;
    while (index_[h] != 0) h = (h + 1) & index_mask_;
    index_[h] = static_cast<uint32_t>(i + 1);
  }
}

std::optional<size_t> HashCache::Find(std::string_view path) const {
  std::call_once(index_once_, [this] { BuildIndex(); });
  for (uint64_t h = Xxh3(path) & index_mask_; index_[h] != 0; h = (h + 1) & index_mask_) {
    const size_t i = index_[h] - 1;
    if (EntryAt(i).path == path) return i;
  }
  return std::nullopt;
}

std::optional<Sha256Digest> HashCache::Lookup(std::string_view path, const FileStat& stat,
                                              size_t* cursor, bool* known) const {
  if (known != nullptr) *known = false;
  if (count_ == 0) return std::nullopt;
  std::optional<size_t> at;
  if (cursor != nullptr && *cursor < count_ && EntryAt(*cursor).path == path) {
    at = *cursor;
  } else if (cursor != nullptr && *cursor == 0) {
    // The first lookup of a sequence: a binary search, so that a sequence whose entries are
    // all where expected never builds the hash index.
    const size_t lb = LowerBound(path);
    if (lb < count_ && EntryAt(lb).path == path) at = lb;
  } else {
    at = Find(path);
  }
  if (!at) {
    if (cursor != nullptr) *cursor = count_;  // later lookups of the sequence probe the index
    return std::nullopt;
  }
  if (cursor != nullptr) *cursor = *at + 1;
  if (known != nullptr) *known = true;
  seen_[*at].store(1, std::memory_order_relaxed);
  const View v = EntryAt(*at);
  if (StatAt(v.record) != stat) return std::nullopt;
  if (std::max(stat.mtime_ns, stat.ctime_ns) > written_at_ns_ - kRacyMarginNanos) {
    return std::nullopt;
  }
  Sha256Digest d;
  std::memcpy(d.data(), v.record + 48, 32);
  return d;
}

size_t HashCache::LowerBound(std::string_view path) const {
  size_t lo = 0;
  size_t hi = count_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (EntryAt(mid).path < path) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t HashCache::CountUnder(std::string_view prefix) const {
  // Entries are sorted by path bytes, so those under a prefix are contiguous.
  const size_t lo = LowerBound(prefix);
  size_t n = 0;
  for (size_t i = lo; i < count_ && EntryAt(i).path.starts_with(prefix); ++i) ++n;
  return n;
}

void HashCache::Record(std::string path, const FileStat& stat, const Sha256Digest& digest) {
  std::lock_guard<std::mutex> lock(mu_);
  added_.push_back({std::move(path), stat, digest});
}

void HashCache::DropUnder(std::string prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  dropped_.push_back(std::move(prefix));
}

Status HashCache::Save() {
  if (!dirty()) return Status::Ok();
  if (dropped_.empty() && size_ >= small_cache_bytes_ && added_.size() <= small_files_) {
    int64_t bytes = 0;
    for (const NewEntry& e : added_) bytes += e.stat.size;
    if (bytes <= small_bytes_) return Status::Ok();
  }
  // Recorded entries win over loaded ones; among recorded ones, the last for a path wins.
  std::stable_sort(added_.begin(), added_.end(),
                   [](const NewEntry& a, const NewEntry& b) { return a.path < b.path; });
  std::vector<const NewEntry*> fresh;
  fresh.reserve(added_.size());
  for (size_t i = 0; i < added_.size(); ++i) {
    if (i + 1 < added_.size() && added_[i + 1].path == added_[i].path) continue;
    fresh.push_back(&added_[i]);
  }
  auto dropped = [&](std::string_view p) {
    return std::any_of(dropped_.begin(), dropped_.end(),
                       [&](const std::string& d) { return p.substr(0, d.size()) == d; });
  };
  std::string records;
  std::string strings;
  uint64_t count = 0;
  auto emit = [&](std::string_view p, const FileStat& s, const uint8_t* digest) {
    AppendRecord(&records, static_cast<uint32_t>(strings.size()), static_cast<uint32_t>(p.size()),
                 s, digest);
    strings.append(p);
    ++count;
  };
  // Loaded entries are sorted by path (the file is written sorted); merge.
  size_t j = 0;
  for (size_t i = 0; i < count_; ++i) {
    const View v = EntryAt(i);
    while (j < fresh.size() && fresh[j]->path < v.path) {
      emit(fresh[j]->path, fresh[j]->stat, fresh[j]->digest.data());
      ++j;
    }
    if (j < fresh.size() && fresh[j]->path == v.path) continue;  // replaced
    if (!dropped_.empty() && seen_[i].load(std::memory_order_relaxed) == 0 && dropped(v.path)) {
      continue;
    }
    emit(v.path, StatAt(v.record), reinterpret_cast<const uint8_t*>(v.record + 48));
  }
  for (; j < fresh.size(); ++j) emit(fresh[j]->path, fresh[j]->stat, fresh[j]->digest.data());
  if (strings.size() > UINT32_MAX) return Status::Unsupported(path_ + ": hash cache too large");

  std::string out;
  out.reserve(kHeader + records.size() + strings.size() + 8);
  out.append(kMagic, 8);
  Append(&out, count);
  Append(&out, NowNanos());
  Append(&out, static_cast<uint64_t>(strings.size()));
  out += records;
  out += strings;
  Append(&out, Xxh3Bytes(out.data(), out.size()));

  const std::string tmp = path_ + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IOError(tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(path_ + ": " + std::strerror(err));
  }
  added_.clear();
  dropped_.clear();
  return Status::Ok();
}

}  // namespace cairn::files
