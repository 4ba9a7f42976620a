#include "files/manifest_index.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "files/pointer.h"

namespace cairn::files {
namespace {

namespace fs = std::filesystem;

class ManifestIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn_manifest_index_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

// A manifest written by hand (docs/files.md): an executable file, a path with a space.
const std::string kManifest = "cairn-manifest 1\n" + Sha256Hex("run\n") + " 4 x bin/run\n" +
                              Sha256Hex("hello world") + " 11 - my file.txt\n";

std::string Bytes(const uint8_t* digest) { return {reinterpret_cast<const char*>(digest), 32}; }
std::string Bytes(const Sha256Digest& d) { return Bytes(d.data()); }

TEST_F(ManifestIndexTest, ReadsEveryFieldOfTheManifestAndFormatsTheSameText) {
  const std::string id = Sha256Hex(kManifest);
  auto index = ManifestIndex::FromManifest(kManifest, id, "m");
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  const ManifestIndex& m = **index;
  ASSERT_EQ(m.size(), 2U);
  EXPECT_EQ(m.manifest_hex(), id);
  EXPECT_FALSE(m.complete());
  EXPECT_EQ(m.path(0), "bin/run");
  EXPECT_EQ(m.file_size(0), 4);
  EXPECT_TRUE(m.executable(0));
  EXPECT_EQ(Bytes(m.digest(0)), Bytes(Sha256Of("run\n")));
  EXPECT_EQ(m.path(1), "my file.txt");
  EXPECT_EQ(m.file_size(1), 11);
  EXPECT_FALSE(m.executable(1));
  EXPECT_EQ(Bytes(m.digest(1)), Bytes(Sha256Of("hello world")));

  ManifestIndex::Builder b(2);
  b.Add("bin/run", Sha256Of("run\n").data(), 4, true);
  b.Add("my file.txt", Sha256Of("hello world").data(), 11, false);
  EXPECT_EQ(b.FormatManifest(), kManifest);
}

TEST_F(ManifestIndexTest, MalformedManifestNamesLineAndField) {
  const std::string bad =
      "cairn-manifest 1\n" + Sha256Hex("a") + " 1 - a\n" + Sha256Hex("b") + " big - b\n";
  auto index = ManifestIndex::FromManifest(bad, Sha256Hex(bad), "manifest m");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(index.status().message().find("manifest m:3: field 'size'"), std::string::npos)
      << index.status().message();
}

TEST_F(ManifestIndexTest, WrittenIndexOpensAndADamagedOneIsRemoved) {
  const std::string id = Sha256Hex(kManifest);
  ManifestIndex::Builder b(2);
  b.Add("bin/run", Sha256Of("run\n").data(), 4, true);
  b.Add("my file.txt", Sha256Of("hello world").data(), 11, false);
  ASSERT_TRUE(b.Finish(id, true)->Write(dir_).ok());

  auto back = ManifestIndex::Open(dir_, id);
  ASSERT_NE(back, nullptr);
  EXPECT_TRUE(back->complete());
  ASSERT_EQ(back->size(), 2U);
  EXPECT_EQ(back->path(1), "my file.txt");
  EXPECT_EQ(Bytes(back->digest(1)), Bytes(Sha256Of("hello world")));
  back.reset();
  // Asked for another manifest: no index (and this one is kept).
  EXPECT_EQ(ManifestIndex::Open(dir_, Sha256Hex("other")), nullptr);
  EXPECT_TRUE(fs::exists(dir_ + "/" + id));

  {
    std::fstream f(dir_ + "/" + id, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(70);
    f.put('\x7f');
  }
  std::string warning;
  EXPECT_EQ(ManifestIndex::Open(dir_, id, &warning), nullptr);
  EXPECT_NE(warning.find("checksum mismatch"), std::string::npos) << warning;
  EXPECT_FALSE(fs::exists(dir_ + "/" + id));
}

TEST_F(ManifestIndexTest, WriteKeepsOnlyTheNewestIndexes) {
  for (int i = 0; i < 4; ++i) {
    ManifestIndex::Builder b(1);
    b.Add("f", Sha256Of(std::to_string(i)).data(), 1, false);
    ASSERT_TRUE(b.Finish(Sha256Hex(std::to_string(i)), true)->Write(dir_, 2, 0).ok());
    ::usleep(20000);  // distinct modification times
  }
  EXPECT_FALSE(fs::exists(dir_ + "/" + Sha256Hex("0")));
  EXPECT_FALSE(fs::exists(dir_ + "/" + Sha256Hex("1")));
  EXPECT_TRUE(fs::exists(dir_ + "/" + Sha256Hex("2")));
  EXPECT_TRUE(fs::exists(dir_ + "/" + Sha256Hex("3")));
  // Small indexes beyond the count stay while their total fits the byte budget.
  for (int i = 4; i < 8; ++i) {
    ManifestIndex::Builder b(1);
    b.Add("f", Sha256Of(std::to_string(i)).data(), 1, false);
    ASSERT_TRUE(b.Finish(Sha256Hex(std::to_string(i)), true)->Write(dir_, 2, 1 << 20).ok());
  }
  for (int i = 2; i < 8; ++i) EXPECT_TRUE(fs::exists(dir_ + "/" + Sha256Hex(std::to_string(i))));
}

}  // namespace
}  // namespace cairn::files
