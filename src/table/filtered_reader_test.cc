#include "table/filtered_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::table {
namespace {

// Yields fixed batches of (id int64, name string).
class FakeReader final : public TableReader {
 public:
  explicit FakeReader(std::vector<Table> batches) : batches_(std::move(batches)) {
    schema_ = batches_.front().schema();
  }
  const Schema& schema() const override { return schema_; }
  Result<bool> Next(Table* batch) override {
    if (next_ == batches_.size()) return false;
    *batch = batches_[next_++];
    return true;
  }

 private:
  Schema schema_;
  std::vector<Table> batches_;
  size_t next_ = 0;
};

Table Batch(int64_t first, int64_t count) {
  Table t(Schema({{"id", DataType::Int64()}, {"name", DataType::String()}}));
  for (int64_t i = first; i < first + count; ++i) {
    t.mutable_column(0).AppendInt(i);
    t.mutable_column(1).AppendString("n" + std::to_string(i));
  }
  EXPECT_TRUE(t.SyncRowCount().ok());
  return t;
}

std::unique_ptr<TableReader> ThreeBatches() {
  return std::make_unique<FakeReader>(
      std::vector<Table>{Batch(0, 10), Batch(10, 10), Batch(20, 10)});
}

Predicate Parse(const std::string& text) {
  auto p = ParsePredicate(text);
  EXPECT_TRUE(p.ok());
  return *p;
}

TEST(FilteredReaderTest, SkipsBatchesWithNoMatchingRows) {
  auto r = OpenFilteredReader(ThreeBatches(), {}, {Parse("id >= 18"), Parse("id < 21")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Table batch;
  ASSERT_TRUE(*(*r)->Next(&batch));
  ASSERT_EQ(batch.num_rows(), 2);  // 18, 19
  EXPECT_EQ(batch.column(0).Int(0), 18);
  ASSERT_TRUE(*(*r)->Next(&batch));
  ASSERT_EQ(batch.num_rows(), 1);  // 20
  EXPECT_EQ(batch.column(1).String(0), "n20");
  EXPECT_FALSE(*(*r)->Next(&batch));
}

TEST(FilteredReaderTest, ProjectsColumnsAfterFilteringOnAnUnselectedOne) {
  auto r = OpenFilteredReader(ThreeBatches(), {"name"}, {Parse("id = 25")});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->schema().num_fields(), 1);
  EXPECT_EQ((*r)->schema().field(0).name, "name");
  auto all = (*r)->ReadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->num_rows(), 1);
  EXPECT_EQ(all->column(0).String(0), "n25");
}

TEST(FilteredReaderTest, ErrorsAtOpen) {
  EXPECT_EQ(OpenFilteredReader(ThreeBatches(), {"nope"}, {}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(OpenFilteredReader(ThreeBatches(), {}, {Parse("nope = 1")}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(OpenFilteredReader(ThreeBatches(), {}, {Parse("id = x")}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FilteredReaderTest, NoColumnsAndNoFiltersPassesEverythingThrough) {
  auto r = OpenFilteredReader(ThreeBatches(), {}, {});
  ASSERT_TRUE(r.ok());
  auto all = (*r)->ReadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->num_rows(), 30);
}

}  // namespace
}  // namespace cairn::table
