// Tests of run artifacts on a fresh workspace per test (SQLite, or PostgreSQL when
// CAIRN_TEST_POSTGRES is set; see src/track/CMakeLists.txt).

#include "track/artifacts.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/hash.h"
#include "data/maintenance.h"
#include "data/test_workspace.h"
#include "store/blob_store.h"
#include "track/runs.h"

namespace cairn::track {
namespace {

using data::testing::TestWorkspace;

class ArtifactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ws_.status().ok()) << ws_.status().ToString();
    StartOptions o;
    o.name = "a";
    o.capture_environment = false;
    auto run = StartRun(ws_.ws(), o);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    run_ = run->id;
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    std::string path = ws_.dir() + "/" + name;
    EXPECT_TRUE(WriteStringToFile(path, content).ok());
    return path;
  }

  TestWorkspace ws_;
  std::string run_;
};

TEST(CheckArtifactNameTest, AcceptsRelativePathsOnly) {
  EXPECT_TRUE(CheckArtifactName("model.bin").ok());
  EXPECT_TRUE(CheckArtifactName("logs/stdout.txt").ok());
  EXPECT_TRUE(CheckArtifactName("a-b_c.1/d").ok());
  for (const char* bad : {"", "/abs", "a//b", "a/", "../x", "a/./b", "sp ace", "a\\b"}) {
    Status s = CheckArtifactName(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(CheckArtifactName(std::string(257, 'a')).ok());
  EXPECT_TRUE(CheckArtifactName(std::string(256, 'a')).ok());
}

TEST_F(ArtifactTest, StoresContentAddressedAndReadsBack) {
  const std::string content = "weights\n\x01\x02";
  auto a = LogArtifactFile(ws_.ws(), run_, "model.bin", WriteFile("m", content));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // The blob id is the SHA-256 of the bytes (an independent hash of the same literal).
  EXPECT_EQ(a->blob_id, Sha256Hex(content));
  EXPECT_EQ(a->size, static_cast<int64_t>(content.size()));
  auto b = LogArtifactBytes(ws_.ws(), run_.substr(0, 8), "logs/stdout.txt", "hello\n");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->blob_id, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");

  auto list = ListArtifacts(ws_.ws(), run_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "logs/stdout.txt");
  EXPECT_EQ((*list)[1].name, "model.bin");

  auto read = ReadArtifact(ws_.ws(), run_, "model.bin");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, content);
  const std::string dest = ws_.dir() + "/out/sub/model.bin";
  ASSERT_TRUE(ExportArtifact(ws_.ws(), run_, "model.bin", dest).ok());
  EXPECT_EQ(*ReadFileToString(dest), content);

  // Artifacts are referenced blobs: gc keeps them.
  auto live = data::LiveBlobs(ws_.ws());
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->count(a->blob_id), 1u);
  EXPECT_EQ(live->count(b->blob_id), 1u);
}

TEST_F(ArtifactTest, SameNameSameContentIsANoOpOtherContentIsRefused) {
  ASSERT_TRUE(LogArtifactBytes(ws_.ws(), run_, "model.bin", "one").ok());
  EXPECT_TRUE(LogArtifactBytes(ws_.ws(), run_, "model.bin", "one").ok());
  auto again = LogArtifactBytes(ws_.ws(), run_, "model.bin", "two");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find(Sha256Hex("two")), std::string::npos);
  EXPECT_EQ(*ReadArtifact(ws_.ws(), run_, "model.bin"), "one");
}

TEST_F(ArtifactTest, Errors) {
  EXPECT_EQ(LogArtifactBytes(ws_.ws(), "abcdef12", "x", "1").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(LogArtifactFile(ws_.ws(), run_, "x", ws_.dir() + "/missing").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(LogArtifactBytes(ws_.ws(), run_, "../x", "1").status().code(),
            StatusCode::kInvalidArgument);
  auto none = ReadArtifact(ws_.ws(), run_, "nope");
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("has no artifact 'nope'"), std::string::npos);
}

TEST_F(ArtifactTest, DamagedContentIsDetectedOnRead) {
  auto a = LogArtifactBytes(ws_.ws(), run_, "model.bin", "the real weights");
  ASSERT_TRUE(a.ok());
  // Overwrite the stored object behind the blob store's back.
  ASSERT_TRUE(ws_.ws().objects().Put(store::BlobStore::KeyOf(a->blob_id), "tampered weights").ok());
  auto read = ReadArtifact(ws_.ws(), run_, "model.bin");
  EXPECT_EQ(read.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(read.status().message().find("model.bin"), std::string::npos);
  const std::string dest = ws_.dir() + "/model.bin";
  EXPECT_EQ(ExportArtifact(ws_.ws(), run_, "model.bin", dest).code(), StatusCode::kCorrupt);
  EXPECT_FALSE(std::filesystem::exists(dest));

  ASSERT_TRUE(ws_.ws().objects().Delete(store::BlobStore::KeyOf(a->blob_id)).ok());
  EXPECT_EQ(ReadArtifact(ws_.ws(), run_, "model.bin").status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace cairn::track
