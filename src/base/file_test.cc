#include "base/file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cairn {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn_file_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }
  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  std::string dir_;
};

TEST_F(FileTest, WriteStringToFileRoundTripsAndLeavesNoTempFile) {
  ASSERT_TRUE(WriteStringToFile(Path("a.txt"), "hello\nworld").ok());
  auto data = ReadFileToString(Path("a.txt"));
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(*data, "hello\nworld");
  EXPECT_EQ(Entries(), std::vector<std::string>{"a.txt"});
}

TEST_F(FileTest, AtomicWriterWithoutCloseKeepsOldContentAndRemovesTemp) {
  ASSERT_TRUE(WriteStringToFile(Path("a.txt"), "old").ok());
  {
    auto file = OpenWritableFile(Path("a.txt"), /*atomic=*/true);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("new content that must never appear").ok());
    EXPECT_EQ((*file)->position(), 34);
    EXPECT_EQ(Entries().size(), 2u);  // the final file and the temp file
  }
  EXPECT_EQ(*ReadFileToString(Path("a.txt")), "old");
  EXPECT_EQ(Entries(), std::vector<std::string>{"a.txt"});
}

TEST_F(FileTest, AtomicWriterShowsNothingUnderFinalNameBeforeClose) {
  auto file = OpenWritableFile(Path("b.txt"), /*atomic=*/true);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("abc").ok());
  EXPECT_FALSE(fs::exists(Path("b.txt")));
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(*ReadFileToString(Path("b.txt")), "abc");
  EXPECT_TRUE((*file)->Close().ok());  // a second Close is harmless
}

TEST_F(FileTest, LargeAppendsAreFlushedCompletely) {
  std::string chunk(300000, 'x');
  auto file = OpenWritableFile(Path("big.bin"));
  ASSERT_TRUE(file.ok());
  for (int i = 0; i < 7; ++i) ASSERT_TRUE((*file)->Append(chunk).ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(fs::file_size(Path("big.bin")), 2100000u);
}

TEST_F(FileTest, MissingFileIsNotFoundNamingThePath) {
  auto r = OpenRandomAccessFile(Path("missing.parquet"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("missing.parquet"), std::string::npos);
  EXPECT_EQ(OpenSequentialFile(Path("missing.csv")).status().code(), StatusCode::kNotFound);
}

TEST_F(FileTest, DirectoryIsRejected) {
  EXPECT_EQ(OpenRandomAccessFile(dir_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenSequentialFile(dir_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FileTest, ReadAtPastEndIsCorrupt) {
  ASSERT_TRUE(WriteStringToFile(Path("c.bin"), "0123456789").ok());
  auto file = OpenRandomAccessFile(Path("c.bin"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->size(), 10);
  char buf[16] = {};
  ASSERT_TRUE((*file)->ReadAt(4, 3, buf).ok());
  EXPECT_EQ(std::string(buf, 3), "456");
  EXPECT_EQ((*file)->ReadAt(8, 3, buf).code(), StatusCode::kCorrupt);
  EXPECT_EQ((*file)->ReadAt(-1, 1, buf).code(), StatusCode::kCorrupt);
  EXPECT_EQ((*file)->ReadAt(0, -1, buf).code(), StatusCode::kCorrupt);
}

TEST_F(FileTest, SequentialReadReturnsZeroAtEnd) {
  ASSERT_TRUE(WriteStringToFile(Path("d.txt"), "abcdef").ok());
  auto file = OpenSequentialFile(Path("d.txt"));
  ASSERT_TRUE(file.ok());
  char buf[4];
  EXPECT_EQ(*(*file)->Read(4, buf), 4);
  EXPECT_EQ(*(*file)->Read(4, buf), 2);
  EXPECT_EQ(std::string(buf, 2), "ef");
  EXPECT_EQ(*(*file)->Read(4, buf), 0);
}

TEST(MemoryFileTest, RandomAccessBoundsAreChecked) {
  std::string data = "parquet";
  auto file = MemoryRandomAccessFile(data, "mem.parquet");
  char buf[8] = {};
  ASSERT_TRUE(file->ReadAt(3, 4, buf).ok());
  EXPECT_EQ(std::string(buf, 4), "quet");
  Status s = file->ReadAt(5, 3, buf);
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("mem.parquet"), std::string::npos);
}

TEST(MemoryFileTest, SequentialReadsInPieces) {
  std::string data = "a,b\n1,2\n";
  auto file = MemorySequentialFile(data);
  char buf[5];
  EXPECT_EQ(*file->Read(5, buf), 5);
  EXPECT_EQ(*file->Read(5, buf), 3);
  EXPECT_EQ(*file->Read(5, buf), 0);
}

TEST(MemoryFileTest, StringWritableAppends) {
  std::string out;
  auto file = StringWritableFile(&out);
  ASSERT_TRUE(file->Append("ab").ok());
  ASSERT_TRUE(file->Append("cd").ok());
  EXPECT_EQ(file->position(), 4);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(out, "abcd");
}

}  // namespace
}  // namespace cairn
