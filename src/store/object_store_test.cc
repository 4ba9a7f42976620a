#include "store/object_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/time.h"
#include "store/object_store_conformance.h"

namespace cairn::store {
namespace {

// Each file store gets its own directory, left in the test temp dir.
std::unique_ptr<ObjectStore> MakeFileStore() {
  auto store = OpenFileStore(MakeTempDir() + "/root");
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Stores, ObjectStoreConformance,
                         testing::Values(StoreFactory{"memory", NewMemoryStore},
                                         StoreFactory{"file", MakeFileStore}),
                         [](const testing::TestParamInfo<StoreFactory>& param) {
                           return param.param.name;
                         });

TEST(ValidateKeyTest, AcceptsRelativeSlashSeparatedPaths) {
  for (const char* key :
       {"a", "a/b/c", "blobs/ab/cdef", "with space/x.y-z_1", "..a/b..", ".hidden"}) {
    EXPECT_TRUE(ValidateKey(key).ok()) << key;
  }
}

TEST(ValidateKeyTest, RejectsEscapingEmptyAndReservedKeys) {
  for (const std::string& key :
       {std::string(""), std::string("/etc/passwd"), std::string("a/../../x"), std::string(".."),
        std::string("a/./b"), std::string("a//b"), std::string("a/"), std::string("a\\b"),
        std::string("a\0b", 3), std::string("x.tmp-0123")}) {
    Status s = ValidateKey(key);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_NE(ValidateKey("a/../b").message().find("'a/../b'"), std::string::npos);
}

class FileStoreTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(FileStoreTest, ObjectsAreFilesUnderTheRoot) {
  auto store = OpenFileStore(dir_ + "/root");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("a/b/c.txt", "content").ok());
  auto on_disk = ReadFileToString(dir_ + "/root/a/b/c.txt");
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(*on_disk, "content");
}

TEST_F(FileStoreTest, InProgressTempFilesAreNotListed) {
  auto store = OpenFileStore(dir_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("d/real", "1").ok());
  ASSERT_TRUE(WriteStringToFile(dir_ + "/d/real.tmp-00112233aabbccdd", "partial").ok());
  auto listed = (*store)->List("");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].key, "d/real");
}

TEST_F(FileStoreTest, OverwriteLeavesNoTempFilesBehind) {
  auto store = OpenFileStore(dir_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("k", "one").ok());
  ASSERT_TRUE((*store)->Put("k", "two").ok());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"k"});
}

TEST_F(FileStoreTest, ListingTimesComeFromTheFileSystem) {
  auto store = OpenFileStore(dir_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("k", "v").ok());
  std::filesystem::last_write_time(
      dir_ + "/k", std::filesystem::file_time_type::clock::now() - std::chrono::hours(48));
  auto listed = (*store)->List("");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  int64_t age = NowMicros() - (*listed)[0].mtime_micros;
  EXPECT_GT(age, int64_t{47} * 3600 * 1000000);
  EXPECT_LT(age, int64_t{49} * 3600 * 1000000);
}

TEST_F(FileStoreTest, OpenObjectStoreAcceptsFileUrisAndPlainPaths) {
  auto by_uri = OpenObjectStore("file://" + dir_ + "/u");
  ASSERT_TRUE(by_uri.ok()) << by_uri.status().ToString();
  ASSERT_TRUE((*by_uri)->Put("x", "1").ok());
  auto by_path = OpenObjectStore(dir_ + "/u");
  ASSERT_TRUE(by_path.ok());
  auto got = (*by_path)->Get("x");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "1");
  EXPECT_EQ((*by_path)->uri(), "file://" + dir_ + "/u");
}

TEST(OpenObjectStoreTest, RejectsUnknownSchemesAndMalformedUris) {
  EXPECT_EQ(OpenObjectStore("gs://bucket").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("file://relative/path").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("s3://").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("s3://bucket/a/../b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("").status().code(), StatusCode::kInvalidArgument);
}

TEST(OpenObjectStoreTest, MemUriGivesAFreshEmptyStore) {
  auto store = OpenObjectStore("mem://");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("k", "v").ok());
  auto other = OpenObjectStore("mem://");
  ASSERT_TRUE(other.ok());
  auto exists = (*other)->Exists("k");
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
}

}  // namespace
}  // namespace cairn::store
