#include <gtest/gtest.h>

#include "table/table.h"

namespace cairn::table {
namespace {

TEST(ColumnTest, AppendNullKeepsEarlierValuesValid) {
  Column c(DataType::Int64());
  c.AppendInt(7);
  c.AppendNull();
  c.AppendInt(-3);
  ASSERT_EQ(c.size(), 3);
  EXPECT_EQ(c.null_count(), 1);
  EXPECT_FALSE(c.IsNull(0));
  EXPECT_TRUE(c.IsNull(1));
  EXPECT_EQ(c.Int(2), -3);
}

}  // namespace
}  // namespace cairn::table
