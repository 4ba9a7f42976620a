#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cairn {

/// A SHA-256 digest.
using Sha256Digest = std::array<uint8_t, 32>;

/// Incremental SHA-256 (OpenSSL). Not thread-safe; one instance per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  /// Finishes the stream; the object must not be updated afterwards.
  Sha256Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// SHA-256 of `data`.
Sha256Digest Sha256Of(std::string_view data);
/// Lowercase hexadecimal of a digest (64 characters).
std::string ToHex(const Sha256Digest& digest);
/// Lowercase hexadecimal SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

/// 64-bit XXH3 of `data` with `seed` (libxxhash). Stable across platforms and releases.
/// (Named apart from the string_view form so that `Xxh3("abc", 7)` cannot silently bind the
/// seed to a byte count.)
uint64_t Xxh3Bytes(const void* data, size_t size, uint64_t seed = 0);
inline uint64_t Xxh3(std::string_view data, uint64_t seed = 0) {
  return Xxh3Bytes(data.data(), data.size(), seed);
}

/// A 128-bit hash value.
struct Hash128 {
  uint64_t high = 0;
  uint64_t low = 0;
  friend bool operator==(const Hash128& a, const Hash128& b) = default;
};

/// 128-bit XXH3 of `data` with `seed` (libxxhash). Stable across platforms and releases.
Hash128 Xxh3Bytes128(const void* data, size_t size, uint64_t seed = 0);
/// Lowercase hexadecimal of a 128-bit hash, high half first (32 characters).
std::string ToHex(const Hash128& hash);

}  // namespace cairn
