#include "store/blob_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/time.h"
#include "store/object_store_conformance.h"

namespace cairn::store {
namespace {

// SHA-256 test vectors from FIPS 180-2, appendix B.
constexpr char kAbcId[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kLongMessage[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr char kLongId[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
// SHA-256 of one million 'a' (FIPS 180-2, B.3).
constexpr char kMillionAId[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

constexpr int64_t kHour = int64_t{3600} * 1000000;

class BlobStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    auto store = OpenFileStore(dir_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
  }
  void TearDown() override { RemoveTree(dir_); }

  std::string dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(BlobStoreTest, IdIsTheSha256OfTheContentAndTheKeyFansOut) {
  BlobStore blobs(store_.get());
  auto id = blobs.PutBlob("abc");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, kAbcId);
  auto on_disk = ReadFileToString(dir_ + "/blobs/ba/" + std::string(kAbcId + 2));
  ASSERT_TRUE(on_disk.ok()) << on_disk.status().ToString();
  EXPECT_EQ(*on_disk, "abc");
  auto long_id = blobs.PutBlob(kLongMessage);
  ASSERT_TRUE(long_id.ok());
  EXPECT_EQ(*long_id, kLongId);
  EXPECT_EQ(BlobStore::KeyOf(kLongId), "blobs/24/" + std::string(kLongId + 2));
}

TEST_F(BlobStoreTest, GetBlobReturnsTheStoredBytes) {
  BlobStore blobs(store_.get());
  ASSERT_TRUE(blobs.PutBlob("abc").ok());
  auto got = blobs.GetBlob(kAbcId);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "abc");
  auto missing = blobs.GetBlob(kLongId);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(blobs.GetBlob("ABC").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs.GetBlob(std::string(64, 'G')).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(BlobStoreTest, PuttingExistingContentDoesNotRewriteIt) {
  BlobStore blobs(store_.get());
  ASSERT_TRUE(blobs.PutBlob("abc").ok());
  std::string path = dir_ + "/blobs/ba/" + std::string(kAbcId + 2);
  auto old_time = std::filesystem::file_time_type::clock::now() - std::chrono::hours(10);
  std::filesystem::last_write_time(path, old_time);
  auto again = blobs.PutBlob("abc");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, kAbcId);
  EXPECT_EQ(std::filesystem::last_write_time(path), old_time);
}

TEST_F(BlobStoreTest, PuttingContentOverAPartialCopyRepairsIt) {
  // A server that keeps a partial upload after its writer died leaves a short object under
  // the blob's key; putting the same content again must replace it, not trust it.
  BlobStore blobs(store_.get());
  const std::string key = BlobStore::KeyOf(kLongId);
  ASSERT_TRUE(store_->Put(key, std::string(kLongMessage).substr(0, 10)).ok());
  EXPECT_EQ(blobs.GetBlob(kLongId).status().code(), StatusCode::kCorrupt);
  auto id = blobs.PutBlob(kLongMessage);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto got = blobs.GetBlob(kLongId);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, kLongMessage);
  // The same through PutBlobFile.
  ASSERT_TRUE(store_->Put(key, "short").ok());
  const std::string file = dir_ + "/message.txt";
  ASSERT_TRUE(WriteStringToFile(file, kLongMessage).ok());
  ASSERT_TRUE(blobs.PutBlobFile(file).ok());
  EXPECT_TRUE(blobs.GetBlob(kLongId).ok());
}

TEST_F(BlobStoreTest, PuttingContentWhoseCopyIsNearlyCollectableRefreshesIt) {
  BlobStoreOptions options;
  options.gc_grace_micros = 4 * kHour;
  BlobStore blobs(store_.get(), options);
  ASSERT_TRUE(blobs.PutBlob("abc").ok());
  std::string path = dir_ + "/blobs/ba/" + std::string(kAbcId + 2);
  auto now = std::filesystem::file_time_type::clock::now();
  std::filesystem::last_write_time(path, now - std::chrono::hours(3));
  ASSERT_TRUE(blobs.PutBlob("abc").ok());
  EXPECT_GT(std::filesystem::last_write_time(path), now - std::chrono::minutes(5));
  auto gc = blobs.CollectGarbage({}, /*dry_run=*/false);
  ASSERT_TRUE(gc.ok());
  EXPECT_TRUE(gc->removed.empty());
  EXPECT_EQ(gc->kept_recent, 1);
}

TEST_F(BlobStoreTest, EditedBlobIsReportedCorruptNamingTheId) {
  BlobStore blobs(store_.get());
  ASSERT_TRUE(blobs.PutBlob("abc").ok());
  ASSERT_TRUE(blobs.PutBlob(kLongMessage).ok());
  ASSERT_TRUE(WriteStringToFile(dir_ + "/blobs/ba/" + std::string(kAbcId + 2), "abd").ok());
  auto got = blobs.GetBlob(kAbcId);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(got.status().message().find(kAbcId), std::string::npos) << got.status().ToString();

  auto report = blobs.Verify({kAbcId, kLongId, kMillionAId});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->checked, 2);
  EXPECT_EQ(report->corrupt, std::vector<std::string>{kAbcId});
  EXPECT_EQ(report->missing, std::vector<std::string>{kMillionAId});
  EXPECT_TRUE(report->stray.empty());
}

TEST_F(BlobStoreTest, VerifyReportsStrayKeysUnderBlobs) {
  BlobStore blobs(store_.get());
  ASSERT_TRUE(store_->Put("blobs/zz/not-a-blob", "x").ok());
  ASSERT_TRUE(store_->Put("other/file", "x").ok());
  auto report = blobs.Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->stray, std::vector<std::string>{"blobs/zz/not-a-blob"});
  EXPECT_EQ(report->checked, 0);
}

TEST_F(BlobStoreTest, PutBlobFileHashesWhileStreaming) {
  BlobStore blobs(store_.get());
  std::string path = dir_ + "/million-a";
  ASSERT_TRUE(WriteStringToFile(path, std::string(1000000, 'a')).ok());
  auto id = blobs.PutBlobFile(path);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, kMillionAId);
  auto got = blobs.GetBlob(kMillionAId);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1000000U);
  EXPECT_EQ(blobs.PutBlobFile(dir_ + "/absent").status().code(), StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, ListBlobsIsSortedByIdAndSkipsOtherKeys) {
  BlobStore blobs(store_.get());
  ASSERT_TRUE(blobs.PutBlob(kLongMessage).ok());
  ASSERT_TRUE(blobs.PutBlob("abc").ok());
  ASSERT_TRUE(store_->Put("blobs/readme", "x").ok());
  auto listed = blobs.ListBlobs();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].id, kLongId);
  EXPECT_EQ((*listed)[0].size, 56);
  EXPECT_EQ((*listed)[1].id, kAbcId);
  EXPECT_EQ((*listed)[1].size, 3);
}

TEST_F(BlobStoreTest, DeleteBlobRemovesItAndAbsentIsOk) {
  BlobStore blobs(store_.get());
  ASSERT_TRUE(blobs.PutBlob("abc").ok());
  ASSERT_TRUE(blobs.DeleteBlob(kAbcId).ok());
  auto has = blobs.HasBlob(kAbcId);
  ASSERT_TRUE(has.ok());
  EXPECT_FALSE(*has);
  EXPECT_TRUE(blobs.DeleteBlob(kAbcId).ok());
}

TEST(BlobStoreGcTest, RemovesOnlyUnreferencedBlobsOlderThanTheGracePeriod) {
  auto store = NewMemoryStore();
  int64_t now = NowMicros();
  BlobStoreOptions options;
  options.gc_grace_micros = kHour;
  options.clock = [&now] { return now; };
  BlobStore blobs(store.get(), options);
  auto live = blobs.PutBlob("abc");
  auto dead = blobs.PutBlob(kLongMessage);
  ASSERT_TRUE(live.ok() && dead.ok());

  // Just written: the unreferenced blob is still within the grace period.
  auto early = blobs.CollectGarbage({*live}, /*dry_run=*/false);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->removed.empty());
  EXPECT_EQ(early->kept_live, 1);
  EXPECT_EQ(early->kept_recent, 1);

  now += 2 * kHour;
  auto dry = blobs.CollectGarbage({*live}, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  ASSERT_EQ(dry->removed.size(), 1U);
  EXPECT_EQ(dry->removed[0].id, kLongId);
  EXPECT_EQ(dry->removed_bytes, 56);
  auto still = blobs.HasBlob(kLongId);
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(*still);

  auto real = blobs.CollectGarbage({*live}, /*dry_run=*/false);
  ASSERT_TRUE(real.ok());
  ASSERT_EQ(real->removed.size(), 1U);
  EXPECT_EQ(real->removed[0].id, kLongId);
  auto gone = blobs.HasBlob(kLongId);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(*gone);
  auto kept = blobs.GetBlob(kAbcId);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, "abc");
}

TEST_F(BlobStoreTest, GcRemovesUnfinishedWritesOlderThanTheGracePeriod) {
  // What a writer killed mid-write leaves in a directory store.
  std::filesystem::create_directories(dir_ + "/blobs/ab");
  ASSERT_TRUE(WriteStringToFile(dir_ + "/blobs/ab/old.tmp-0011223344556677", "part").ok());
  ASSERT_TRUE(WriteStringToFile(dir_ + "/blobs/ab/new.tmp-8899aabbccddeeff", "writing").ok());
  std::filesystem::last_write_time(
      dir_ + "/blobs/ab/old.tmp-0011223344556677",
      std::filesystem::file_time_type::clock::now() - std::chrono::hours(30));
  BlobStore blobs(store_.get());  // grace period 24 hours
  auto dry = blobs.CollectGarbage({}, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->removed_temporary_bytes, 0);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/blobs/ab/old.tmp-0011223344556677"));
  auto report = blobs.CollectGarbage({}, /*dry_run=*/false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed_temporary_bytes, 4);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/blobs/ab/old.tmp-0011223344556677"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/blobs/ab/new.tmp-8899aabbccddeeff"));
}

}  // namespace
}  // namespace cairn::store
