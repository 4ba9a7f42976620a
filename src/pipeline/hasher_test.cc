// Tests of the hasher backed by the workspace's hash cache: what it reads, and that its hashes
// are those of sha256sum.

#include "pipeline/hasher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace cairn::pipeline {
namespace {

namespace fs = std::filesystem;

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The first 64 characters of `sha256sum FILE`.
std::string Sha256sum(const std::string& path) {
  std::string out;
  FILE* p = ::popen(("sha256sum '" + path + "'").c_str(), "r");
  char buf[256];
  while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  if (p != nullptr) ::pclose(p);
  return out.substr(0, 64);
}

class CachedHasherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn_hasher_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = fs::canonical(pattern).string();
    fs::create_directories(root_ + "/.cairn");
    WriteText(root_ + "/data/a.txt", "alpha\n");
    WriteText(root_ + "/data/sub/b.txt", "bravo\n");
    WriteText(root_ + "/model.bin", std::string(5000, 'm'));
    // Let the files' timestamps age past the hash cache's racy margin, so that entries
    // recorded now are trusted by the next hasher.
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
};

TEST_F(CachedHasherTest, UnchangedDepsAreNotReadAgainAndTouchedOnesAre) {
  std::string dir_hash;
  std::string file_hash;
  {
    auto h = MakeCachedHasher(root_, 2);
    auto d = h->Hash(root_ + "/data");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_EQ(d->files.size(), 2U);
    EXPECT_EQ(d->files[0].hash, Sha256sum(root_ + "/data/a.txt"));
    EXPECT_EQ(d->files[1].hash, Sha256sum(root_ + "/data/sub/b.txt"));
    auto f = h->Hash(root_ + "/model.bin");
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->hash, Sha256sum(root_ + "/model.bin"));
    EXPECT_EQ(h->files_read(), 3);
    dir_hash = d->hash;
    file_hash = f->hash;
  }  // saved here
  ASSERT_TRUE(fs::exists(root_ + "/.cairn/hashcache"));
  {
    auto h = MakeCachedHasher(root_, 2);
    auto d = h->Hash(root_ + "/data");
    auto f = h->Hash(root_ + "/model.bin");
    ASSERT_TRUE(d.ok() && f.ok());
    EXPECT_EQ(d->hash, dir_hash);
    EXPECT_EQ(f->hash, file_hash);
    EXPECT_EQ(h->files_read(), 0) << "unchanged files were read again";
  }
  // Touch one file (same content, new timestamps) and rewrite another: both are read, the
  // others are not.
  ASSERT_EQ(::utimensat(AT_FDCWD, (root_ + "/data/a.txt").c_str(), nullptr, 0), 0);
  WriteText(root_ + "/model.bin", "new weights");
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  auto h = MakeCachedHasher(root_, 2);
  auto d = h->Hash(root_ + "/data");
  auto f = h->Hash(root_ + "/model.bin");
  ASSERT_TRUE(d.ok() && f.ok());
  EXPECT_EQ(h->files_read(), 2);
  EXPECT_EQ(d->hash, dir_hash);
  EXPECT_EQ(f->hash, Sha256sum(root_ + "/model.bin"));
  // The direct hasher agrees, and reads everything.
  auto direct = MakeDirectHasher(2);
  auto dd = direct->Hash(root_ + "/data");
  ASSERT_TRUE(dd.ok());
  EXPECT_EQ(dd->hash, dir_hash);
  EXPECT_EQ(direct->files_read(), 2);
}

TEST_F(CachedHasherTest, FilesOutsideTheWorkspaceAreHashedDirectly) {
  std::string pattern = (fs::temp_directory_path() / "cairn_hasher_out_XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  WriteText(pattern + "/x.txt", "outside\n");
  for (int i = 0; i < 2; ++i) {
    auto h = MakeCachedHasher(root_, 1);
    auto f = h->Hash(pattern + "/x.txt");
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->hash, Sha256sum(pattern + "/x.txt"));
    EXPECT_EQ(h->files_read(), 1);
  }
  EXPECT_FALSE(fs::exists(root_ + "/.cairn/hashcache")) << "nothing inside was hashed";
  fs::remove_all(pattern);
}

TEST_F(CachedHasherTest, DefaultHasherUsesTheCacheOnlyWithAWorkspaceRoot) {
  for (int i = 0; i < 2; ++i) {
    auto h = MakeDefaultHasher(root_, 2);
    ASSERT_TRUE(h->Hash(root_ + "/data").ok());
    EXPECT_EQ(h->files_read(), i == 0 ? 2 : 0);
  }
  auto direct = MakeDefaultHasher("", 2);
  ASSERT_TRUE(direct->Hash(root_ + "/data").ok());
  EXPECT_EQ(direct->files_read(), 2);
}

}  // namespace
}  // namespace cairn::pipeline
