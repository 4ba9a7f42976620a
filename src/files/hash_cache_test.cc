#include "files/hash_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace cairn::files {
namespace {

namespace fs = std::filesystem;

class HashCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn_hash_cache_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

FileStat Old(uint64_t inode) {
  // Timestamps from 2001: far older than any write time, so never racy.
  return {1, inode, 10, int64_t{1000000000} * 1000000000, int64_t{1000000000} * 1000000000};
}

TEST_F(HashCacheTest, SavedEntriesAreFoundOnlyWithTheSameStat) {
  const Sha256Digest d = Sha256Of("abc");
  {
    HashCache c(dir_ + "/hc");
    c.Load();
    c.Record("data/a", Old(5), d);
    c.Record("data/b", Old(6), Sha256Of("x"));
    ASSERT_TRUE(c.Save().ok());
  }
  HashCache c(dir_ + "/hc");
  c.Load();
  EXPECT_TRUE(c.warning().empty());
  EXPECT_EQ(c.loaded_size(), 2U);
  auto hit = c.Lookup("data/a", Old(5));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(ToHex(*hit), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  FileStat touched = Old(5);
  touched.mtime_ns += 1;
  EXPECT_FALSE(c.Lookup("data/a", touched).has_value());
  FileStat moved = Old(5);
  moved.inode = 99;
  EXPECT_FALSE(c.Lookup("data/a", moved).has_value());
  EXPECT_FALSE(c.Lookup("data/c", Old(5)).has_value());
}

TEST_F(HashCacheTest, RecentTimestampsAreNotTrusted) {
  HashCache c(dir_ + "/hc");
  FileStat fresh = Old(1);
  fresh.ctime_ns = NowNanos();  // changed just before the cache is written: racily clean
  c.Record("f", fresh, Sha256Of("a"));
  ASSERT_TRUE(c.Save().ok());
  HashCache back(dir_ + "/hc");
  back.Load();
  EXPECT_EQ(back.loaded_size(), 1U);
  EXPECT_FALSE(back.Lookup("f", fresh).has_value());
}

TEST_F(HashCacheTest, DropUnderForgetsUnrecordedEntriesAndRecordedOnesWin) {
  {
    HashCache c(dir_ + "/hc");
    c.Record("d/a", Old(1), Sha256Of("1"));
    c.Record("d/b", Old(2), Sha256Of("2"));
    c.Record("e/a", Old(3), Sha256Of("3"));
    ASSERT_TRUE(c.Save().ok());
  }
  {
    HashCache c(dir_ + "/hc");
    c.Load();
    c.DropUnder("d/");
    c.Record("d/b", Old(2), Sha256Of("new"));
    ASSERT_TRUE(c.Save().ok());
  }
  HashCache c(dir_ + "/hc");
  c.Load();
  EXPECT_EQ(c.loaded_size(), 2U);
  EXPECT_FALSE(c.Lookup("d/a", Old(1)).has_value());
  EXPECT_EQ(*c.Lookup("d/b", Old(2)), Sha256Of("new"));
  EXPECT_EQ(*c.Lookup("e/a", Old(3)), Sha256Of("3"));
}

TEST_F(HashCacheTest, DamagedFileIsDiscardedWithAWarning) {
  {
    HashCache c(dir_ + "/hc");
    c.Record("a", Old(1), Sha256Of("1"));
    ASSERT_TRUE(c.Save().ok());
  }
  {
    std::fstream f(dir_ + "/hc", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  HashCache c(dir_ + "/hc");
  c.Load();
  EXPECT_EQ(c.loaded_size(), 0U);
  EXPECT_NE(c.warning().find("checksum mismatch"), std::string::npos) << c.warning();
  EXPECT_FALSE(c.Lookup("a", Old(1)).has_value());
}

TEST_F(HashCacheTest, CursorLookupsFollowTheSortedEntriesAndCountUnderCountsAPrefix) {
  {
    HashCache c(dir_ + "/hc");
    c.Record("d/a", Old(1), Sha256Of("1"));
    c.Record("d/b", Old(2), Sha256Of("2"));
    c.Record("d/c", Old(3), Sha256Of("3"));
    c.Record("e/a", Old(4), Sha256Of("4"));
    ASSERT_TRUE(c.Save().ok());
  }
  HashCache c(dir_ + "/hc");
  c.Load();
  size_t cursor = 0;
  bool known = false;
  EXPECT_EQ(*c.Lookup("d/a", Old(1), &cursor, &known), Sha256Of("1"));
  EXPECT_TRUE(known);
  EXPECT_EQ(*c.Lookup("d/b", Old(2), &cursor, &known), Sha256Of("2"));
  EXPECT_FALSE(c.Lookup("d/bb", Old(2), &cursor, &known).has_value());
  EXPECT_FALSE(known);
  // After a miss the sequence goes on through the hash index.
  EXPECT_EQ(*c.Lookup("d/c", Old(3), &cursor, &known), Sha256Of("3"));
  EXPECT_TRUE(known);
  FileStat other = Old(4);
  other.size = 11;
  EXPECT_FALSE(c.Lookup("e/a", other, &cursor, &known).has_value());
  EXPECT_TRUE(known) << "the path has an entry, only its stat differs";
  // Out of order: found all the same.
  cursor = 0;
  EXPECT_EQ(*c.Lookup("e/a", Old(4), &cursor), Sha256Of("4"));
  EXPECT_EQ(*c.Lookup("d/a", Old(1), &cursor), Sha256Of("1"));
  EXPECT_EQ(c.CountUnder("d/"), 3U);
  EXPECT_EQ(c.CountUnder("e/"), 1U);
  EXPECT_EQ(c.CountUnder("c/"), 0U);
  EXPECT_EQ(c.CountUnder("f/"), 0U);
}

TEST_F(HashCacheTest, DropUnderKeepsEntriesThatWereLookedUp) {
  {
    HashCache c(dir_ + "/hc");
    c.Record("d/a", Old(1), Sha256Of("1"));
    c.Record("d/gone", Old(2), Sha256Of("2"));
    ASSERT_TRUE(c.Save().ok());
  }
  {
    HashCache c(dir_ + "/hc");
    c.Load();
    ASSERT_TRUE(c.Lookup("d/a", Old(1)).has_value());
    c.DropUnder("d/");
    ASSERT_TRUE(c.dirty());
    ASSERT_TRUE(c.Save().ok());
  }
  HashCache c(dir_ + "/hc");
  c.Load();
  EXPECT_EQ(c.loaded_size(), 1U);
  EXPECT_EQ(*c.Lookup("d/a", Old(1)), Sha256Of("1"));
}

TEST_F(HashCacheTest, SmallChangeToALargeCacheIsNotSaved) {
  {
    HashCache c(dir_ + "/hc");
    for (uint64_t i = 0; i < 100; ++i) c.Record("d/" + std::to_string(i), Old(i), Sha256Of("x"));
    ASSERT_TRUE(c.Save().ok());
  }
  const auto size = fs::file_size(dir_ + "/hc");
  const auto written = fs::last_write_time(dir_ + "/hc");
  {
    // Limits: 2 files, 100 bytes, a cache of at least `size` bytes (this one).
    HashCache c(dir_ + "/hc");
    c.set_small_change(2, 100, size);
    c.Load();
    c.Record("d/new", Old(500), Sha256Of("y"));  // 10 bytes
    ASSERT_TRUE(c.Save().ok());
    EXPECT_EQ(fs::last_write_time(dir_ + "/hc"), written) << "a small change was written";
    // Three files: saved.
    c.Record("d/new2", Old(501), Sha256Of("y"));
    c.Record("d/new3", Old(502), Sha256Of("y"));
    ASSERT_TRUE(c.Save().ok());
  }
  HashCache c(dir_ + "/hc");
  c.Load();
  EXPECT_EQ(c.loaded_size(), 103U);
  EXPECT_EQ(*c.Lookup("d/new3", Old(502)), Sha256Of("y"));
  {
    // A smaller cache than the limit: every change is saved.
    HashCache small(dir_ + "/hc");
    small.set_small_change(2, 100, size + 1000000);
    small.Load();
    small.Record("d/one", Old(600), Sha256Of("z"));
    ASSERT_TRUE(small.Save().ok());
  }
  HashCache back(dir_ + "/hc");
  back.Load();
  EXPECT_EQ(back.loaded_size(), 104U);
}

}  // namespace
}  // namespace cairn::files
