// The ObjectStore conformance suite against a real S3-protocol server. Run through
// tests/s3/with_s3rver.js, which starts s3rver on loopback and sets AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and CAIRN_TEST_S3_BUCKET.

#include "store/s3_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "store/blob_store.h"
#include "store/object_store_conformance.h"

namespace cairn::store {
namespace {

std::string Bucket() {
  const char* bucket = std::getenv("CAIRN_TEST_S3_BUCKET");
  return bucket == nullptr ? "" : bucket;
}

// Each store lives under its own prefix so tests never see each other's objects.
std::unique_ptr<ObjectStore> MakeS3Store() {
  static std::atomic<int> counter{0};
  S3Options options = S3OptionsFromEnvironment();
  options.bucket = Bucket();
  options.prefix = "run/" + std::to_string(counter.fetch_add(1));
  options.multipart_threshold = int64_t{5} << 20;
  options.part_size = int64_t{5} << 20;
  auto store = OpenS3Store(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

INSTANTIATE_TEST_SUITE_P(
    S3, ObjectStoreConformance,
    // s3rver streams a PUT into the file it serves GETs from, so a racing reader can see a partial
    // object there (S3 itself never shows one): the race test is skipped against it.
    testing::Values(StoreFactory{"s3", MakeS3Store, false}),
    [](const testing::TestParamInfo<StoreFactory>& param) { return param.param.name; });

TEST(S3StoreTest, OpenObjectStoreReachesTheBucketByUri) {
  auto store = OpenObjectStore("s3://" + Bucket() + "/by-uri/");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->uri(), "s3://" + Bucket() + "/by-uri");
  ASSERT_TRUE((*store)->Put("k", "v").ok());
  auto whole_bucket = OpenObjectStore("s3://" + Bucket());
  ASSERT_TRUE(whole_bucket.ok());
  auto got = (*whole_bucket)->Get("by-uri/k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "v");
}

TEST(S3StoreTest, MissingBucketErrorCarriesHttpStatusAndS3Code) {
  S3Options options = S3OptionsFromEnvironment();
  options.bucket = "no-such-bucket";
  options.max_attempts = 1;
  auto store = OpenS3Store(options);
  ASSERT_TRUE(store.ok());
  Status s = (*store)->Put("k", "v");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HTTP 404"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("NoSuchBucket"), std::string::npos) << s.ToString();
}

TEST(S3StoreTest, UnreachableServerFailsAfterBoundedRetries) {
  S3Options options = S3OptionsFromEnvironment();
  options.bucket = Bucket();
  options.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  options.max_attempts = 3;
  options.initial_backoff_ms = 1;
  auto store = OpenS3Store(options);
  ASSERT_TRUE(store.ok());
  auto got = (*store)->Get("k");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kIOError) << got.status().ToString();
}

TEST(S3StoreTest, BlobsVerifyOnReadOverS3) {
  auto store = MakeS3Store();
  ASSERT_NE(store, nullptr);
  BlobStore blobs(store.get());
  auto id = blobs.PutBlob("abc");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(store->Put(BlobStore::KeyOf(*id), "abd").ok());
  EXPECT_EQ(blobs.GetBlob(*id).status().code(), StatusCode::kCorrupt);
  auto listed = blobs.ListBlobs();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_GT((*listed)[0].mtime_micros, 0);
}

}  // namespace
}  // namespace cairn::store
