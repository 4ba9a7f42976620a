#include "base/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

// Expected digests are the FIPS 180-2 (appendix B) test vectors.
TEST(Sha256Test, MatchesFipsVectorForAbc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, MatchesKnownDigestOfEmptyInput) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, MatchesFipsVectorForTwoBlockMessage) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, IncrementalUpdatesEqualOneShot) {
  // One million 'a' (FIPS 180-2 B.3), fed in uneven pieces.
  std::string chunk(999, 'a');
  Sha256 h;
  size_t fed = 0;
  while (fed + chunk.size() <= 1000000) {
    h.Update(chunk);
    fed += chunk.size();
  }
  h.Update(std::string(1000000 - fed, 'a'));
  EXPECT_EQ(ToHex(h.Finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, DigestBytesMatchHex) {
  Sha256Digest d = Sha256Of("abc");
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[31], 0xad);
}

// Expected values come from `xxhsum -H3` (xxHash 0.8.1) on files with the same bytes.
TEST(Xxh3Test, MatchesXxhsumForShortInputs) {
  EXPECT_EQ(Xxh3(""), 0x2d06800538d394c2ULL);
  EXPECT_EQ(Xxh3("abc"), 0x78af5f94892f3950ULL);
  EXPECT_EQ(Xxh3("The quick brown fox jumps over the lazy dog"), 0xce7d19a5418fb365ULL);
}

TEST(Xxh3Test, MatchesXxhsumForMidAndLongInputs) {
  std::string digits;
  for (int i = 0; i < 200; ++i) digits.push_back(static_cast<char>('0' + i % 10));
  EXPECT_EQ(Xxh3(digits), 0xafadba07e1698882ULL);                  // 129..240 byte path
  EXPECT_EQ(Xxh3(std::string(1000, 'a')), 0xb3e7af627147db7cULL);  // long-input path
}

TEST(Xxh3Test, SeedChangesTheHash) {
  // A string literal with a second argument would pick the (pointer, size) overload, so
  // the seeded calls name string_view explicitly.
  std::string_view abc = "abc";
  EXPECT_EQ(Xxh3(abc, 0), 0x78af5f94892f3950ULL);
  EXPECT_NE(Xxh3(abc, 1), Xxh3(abc, 0));
  EXPECT_EQ(Xxh3(abc, 7), Xxh3Bytes(abc.data(), abc.size(), 7));
  // A string literal with a seed hashes the literal's bytes with that seed.
  EXPECT_EQ(Xxh3("abc", 7), Xxh3Bytes("abc", 3, 7));
}

TEST(Xxh3Test, Hash128MatchesXxhsum) {
  // Expected values from `printf abc | xxhsum -H2` and `printf '' | xxhsum -H2`.
  EXPECT_EQ(ToHex(Xxh3Bytes128("abc", 3)), "06b05ab6733a618578af5f94892f3950");
  EXPECT_EQ(ToHex(Xxh3Bytes128("", 0)), "99aa06d3014798d86001c324468d497f");
}

}  // namespace
}  // namespace cairn
