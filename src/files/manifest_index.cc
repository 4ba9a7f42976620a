#include "files/manifest_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "files/pointer.h"

namespace cairn::files {
namespace {

// Layout (little-endian; docs/files.md):
//   header (64 bytes): magic "CAIRNMX1", u64 count, u64 path table size, u64 flags
//          (bit 0: complete), 32-byte SHA-256 of the manifest
//   records (count x 56): u32 path offset, u32 path length, i64 size, u32 flags
//          (bit 0: executable), u32 zero, 32-byte SHA-256
//   paths (concatenated, in manifest order)
//   trailer (8 bytes): XXH3-64 of everything before it
constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'M', 'X', '1'};
constexpr size_t kHeader = 64;
constexpr size_t kRecord = 56;

template <typename T>
T LoadAt(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void Append(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

Sha256Digest DigestFromHex(std::string_view hex) {
  Sha256Digest d{};
  for (size_t i = 0; i < d.size() && 2 * i + 1 < hex.size(); ++i) {
    d[i] = static_cast<uint8_t>(HexValue(hex[2 * i]) * 16 + HexValue(hex[2 * i + 1]));
  }
  return d;
}

ManifestIndex::Builder::Builder(size_t count) {
  records_.reserve(count * kRecord);
  paths_.reserve(count * 24);
}

void ManifestIndex::Builder::Add(std::string_view path, const uint8_t* digest, int64_t size,
                                 bool executable) {
  Append(&records_, static_cast<uint32_t>(paths_.size()));
  Append(&records_, static_cast<uint32_t>(path.size()));
  Append(&records_, size);
  Append(&records_, static_cast<uint32_t>(executable ? 1 : 0));
  Append(&records_, uint32_t{0});
  records_.append(reinterpret_cast<const char*>(digest), 32);
  paths_.append(path);
  ++count_;
}

std::string ManifestIndex::Builder::FormatManifest() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "cairn-manifest 1\n";
  out.reserve(out.size() + count_ * 88 + paths_.size());
  char line[64 + 1 + 20 + 3];
  for (size_t i = 0; i < count_; ++i) {
    const char* rec = records_.data() + i * kRecord;
    const auto* digest = reinterpret_cast<const uint8_t*>(rec + 24);
    for (size_t b = 0; b < 32; ++b) {
      line[2 * b] = kHex[digest[b] >> 4];
      line[2 * b + 1] = kHex[digest[b] & 15];
    }
    line[64] = ' ';
    char* end = std::to_chars(line + 65, line + 85, LoadAt<int64_t>(rec + 8)).ptr;
    *end++ = ' ';
    *end++ = (LoadAt<uint32_t>(rec + 16) & 1) != 0 ? 'x' : '-';
    *end++ = ' ';
    out.append(line, static_cast<size_t>(end - line));
    out.append(paths_, LoadAt<uint32_t>(rec), LoadAt<uint32_t>(rec + 4));
    out += '\n';
  }
  return out;
}

std::unique_ptr<ManifestIndex> ManifestIndex::Builder::Finish(std::string_view manifest_hex,
                                                              bool complete) {
  std::string out;
  out.reserve(kHeader + records_.size() + paths_.size() + 8);
  out.append(kMagic, 8);
  Append(&out, static_cast<uint64_t>(count_));
  Append(&out, static_cast<uint64_t>(paths_.size()));
  Append(&out, static_cast<uint64_t>(complete ? 1 : 0));
  const Sha256Digest id = DigestFromHex(manifest_hex);
  out.append(reinterpret_cast<const char*>(id.data()), id.size());
  out += records_;
  out += paths_;
  Append(&out, Xxh3Bytes(out.data(), out.size()));
  records_.clear();
  paths_.clear();
  count_ = 0;
  return Adopt(std::move(out), manifest_hex);
}

std::unique_ptr<ManifestIndex> ManifestIndex::Adopt(std::string bytes, std::string_view hex) {
  auto index = std::unique_ptr<ManifestIndex>(new ManifestIndex());  // NOLINT
  index->manifest_hex_ = std::string(hex);
  index->owned_ = std::move(bytes);
  index->data_ = index->owned_.data();
  index->size_bytes_ = index->owned_.size();
  index->count_ = static_cast<size_t>(LoadAt<uint64_t>(index->data_ + 8));
  index->complete_ = (LoadAt<uint64_t>(index->data_ + 24) & 1) != 0;
  return index;
}

ManifestIndex::~ManifestIndex() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

std::unique_ptr<ManifestIndex> ManifestIndex::Open(const std::string& dir,
                                                   std::string_view manifest_hex,
                                                   std::string* warning) {
  if (!IsSha256Hex(manifest_hex)) return nullptr;
  const std::string path = dir + "/" + std::string(manifest_hex);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(kHeader + 8)) {
    ::close(fd);
    ::unlink(path.c_str());
    if (warning != nullptr) *warning = path + ": truncated; the manifest index is rebuilt";
    return nullptr;
  }
  const auto size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  const char* b = static_cast<const char*>(map);
  auto reject = [&](const char* why) -> std::unique_ptr<ManifestIndex> {
    ::munmap(map, size);
    ::unlink(path.c_str());
    if (warning != nullptr) *warning = path + ": " + why + "; the manifest index is rebuilt";
    return nullptr;
  };
  if (std::memcmp(b, kMagic, 8) != 0) return reject("not a cairn manifest index");
  const auto count = LoadAt<uint64_t>(b + 8);
  const auto paths = LoadAt<uint64_t>(b + 16);
  if (count > (uint64_t{1} << 32) || paths > size ||
      kHeader + count * kRecord + paths + 8 != size) {
    return reject("truncated");
  }
  if (Xxh3Bytes(b, size - 8) != LoadAt<uint64_t>(b + size - 8)) {
    return reject("checksum mismatch");
  }
  const Sha256Digest id = DigestFromHex(manifest_hex);
  if (std::memcmp(b + 32, id.data(), id.size()) != 0) {
    return reject("describes another manifest");
  }
  for (uint64_t i = 0; i < count; ++i) {
    const char* rec = b + kHeader + i * kRecord;
    if (uint64_t{LoadAt<uint32_t>(rec)} + LoadAt<uint32_t>(rec + 4) > paths) {
      return reject("an entry points outside the path table");
    }
  }
  auto index = std::unique_ptr<ManifestIndex>(new ManifestIndex());  // NOLINT
  index->manifest_hex_ = std::string(manifest_hex);
  index->map_ = map;
  index->map_size_ = size;
  index->data_ = b;
  index->size_bytes_ = size;
  index->count_ = static_cast<size_t>(count);
  index->complete_ = (LoadAt<uint64_t>(b + 24) & 1) != 0;
  return index;
}

Result<std::unique_ptr<ManifestIndex>> ManifestIndex::FromManifest(std::string_view text,
                                                                   std::string_view manifest_hex,
                                                                   std::string_view name) {
  // Lines are at least 71 bytes; reserving for that many entries over-reserves a little.
  Builder b(text.size() / 80 + 1);
  CAIRN_RETURN_IF_ERROR(ScanManifest(text, name, [&](const ManifestLine& line) {
    const Sha256Digest d = DigestFromHex(line.sha256);
    b.Add(line.path, d.data(), line.size, line.executable);
  }));
  return b.Finish(manifest_hex, false);
}

std::string_view ManifestIndex::path(size_t i) const {
  const char* rec = data_ + kHeader + i * kRecord;
  const char* paths = data_ + kHeader + count_ * kRecord;
  return {paths + LoadAt<uint32_t>(rec), LoadAt<uint32_t>(rec + 4)};
}

const uint8_t* ManifestIndex::digest(size_t i) const {
  return reinterpret_cast<const uint8_t*>(data_ + kHeader + i * kRecord + 24);
}

int64_t ManifestIndex::file_size(size_t i) const {
  return LoadAt<int64_t>(data_ + kHeader + i * kRecord + 8);
}

bool ManifestIndex::executable(size_t i) const {
  return (LoadAt<uint32_t>(data_ + kHeader + i * kRecord + 16) & 1) != 0;
}

Status ManifestIndex::Write(const std::string& dir, size_t keep, int64_t keep_bytes) const {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IOError(dir + ": " + std::strerror(errno));
  }
  const std::string path = dir + "/" + manifest_hex_;
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < size_bytes_) {
    const ssize_t n = ::write(fd, data_ + done, size_bytes_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IOError(tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(path + ": " + std::strerror(err));
  }
  // Keep the `keep` most recently written indexes (this one among them), and older ones while
  // the total stays within `keep_bytes`.
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::Ok();
  struct Old {
    int64_t mtime_ns;
    int64_t bytes;
    std::string name;
  };
  std::vector<Old> files;
  while (struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (!IsSha256Hex(name) || name == manifest_hex_) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, 0) != 0) continue;
    files.push_back({static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                     static_cast<int64_t>(st.st_size), name});
  }
  ::closedir(d);
  std::sort(files.begin(), files.end(),
            [](const Old& a, const Old& b) { return a.mtime_ns > b.mtime_ns; });
  auto total = static_cast<int64_t>(size_bytes_);
  for (size_t i = 0; i < files.size(); ++i) {
    total += files[i].bytes;
    if (i + 1 < keep || total <= keep_bytes) continue;
    ::unlink((dir + "/" + files[i].name).c_str());
  }
  return Status::Ok();
}

}  // namespace cairn::files
