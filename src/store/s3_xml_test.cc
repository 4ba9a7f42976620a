#include <gtest/gtest.h>

#include "store/s3_store.h"

namespace cairn::store {
namespace {

TEST(ParseListObjectsV2Test, ReadsKeysSizesTimesAndTheContinuationToken) {
  const char* xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>p/a&amp;b</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>
    <ETag>&quot;x&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>p/caf&#233;&#x2F;x</Key><Size>0</Size></Contents>
  <NextContinuationToken>tok/en=+</NextContinuationToken>
</ListBucketResult>)";
  auto page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2U);
  EXPECT_EQ(page->objects[0].key, "p/a&b");
  EXPECT_EQ(page->objects[0].size, 12);
  // 2024-01-02T03:04:05Z = 1704164645 seconds since the epoch.
  EXPECT_EQ(page->objects[0].mtime_micros, int64_t{1704164645} * 1000000);
  EXPECT_EQ(page->objects[1].key, "p/caf\xC3\xA9/x");
  EXPECT_EQ(page->objects[1].size, 0);
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "tok/en=+");
}

TEST(ParseListObjectsV2Test, LastPageAndEmptyListing) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>"
      "</ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "");
}

TEST(ParseListObjectsV2Test, AKeyNamedLikeAFlagDoesNotConfuseThePage) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><Contents><Key>&lt;IsTruncated&gt;true</Key><Size>1</Size></Contents>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1U);
  EXPECT_EQ(page->objects[0].key, "<IsTruncated>true");
  EXPECT_FALSE(page->is_truncated);
}

TEST(ParseListObjectsV2Test, RejectsMalformedAnswers) {
  for (const char* xml : {
           "",
           "<Error><Code>NoSuchBucket</Code></Error>",
           "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>a</Key><Size>1</Size></ListBucketResult>",
           "<ListBucketResult><Contents><Key>a&bogus;</Key><Size>1</Size></Contents>"
           "</ListBucketResult>",
           "<ListBucketResult><Contents><Key>a&#0;</Key><Size>1</Size></Contents>"
           "</ListBucketResult>",
           "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
           "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
           // A truncated page must say where to go on (found by the fuzzer).
           "<ListBucketResult><NextContinuationToken/><IsTruncated>true</IsTruncated>"
           "</ListBucketResult>",
           "<ListBucketResult><NextContinuationToken></NextContinuationToken>"
           "<IsTruncated>true</IsTruncated></ListBucketResult>",
       }) {
    auto page = ParseListObjectsV2(xml);
    EXPECT_FALSE(page.ok()) << xml;
    if (!page.ok()) {
      EXPECT_EQ(page.status().code(), StatusCode::kCorrupt) << xml;
    }
  }
}

TEST(ParseS3ErrorTest, ExtractsCodeAndMessage) {
  EXPECT_EQ(ParseS3Error("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
                         "<Message>The specified key does not exist.</Message></Error>"),
            "NoSuchKey: The specified key does not exist.");
  EXPECT_EQ(ParseS3Error("<Error><Code>SlowDown</Code></Error>"), "SlowDown");
  EXPECT_EQ(ParseS3Error(""), "");
  EXPECT_EQ(ParseS3Error("not xml at all"), "");
}

}  // namespace
}  // namespace cairn::store
