// libFuzzer target: any --where text must parse to an expression or to an error, never crash
// or hang; a parsed expression's canonical text must parse back to an equal expression, and
// binding and evaluating it on a small table of every column type must not crash.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "data/filter_expr.h"
#include "table/table.h"

namespace {

cairn::table::Table MakeTable() {
  using cairn::table::Column;
  using cairn::table::DataType;
  cairn::table::Schema schema({{"key", DataType::String(), true},
                               {"n", DataType::Int64(), true},
                               {"x", DataType::Float64(), true},
                               {"b", DataType::Bool(), true},
                               {"t", DataType::Timestamp(), true},
                               {"tags.weather", DataType::String(), true}});
  std::vector<Column> cols;
  for (const auto& f : schema.fields()) cols.emplace_back(f.type);
  for (int r = 0; r < 4; ++r) {
    if (r == 3) {
      for (auto& c : cols) c.AppendNull();
      continue;
    }
    cols[0].AppendString(r == 0 ? "a" : "b");
    cols[1].AppendInt(r - 1);
    cols[2].AppendDouble(r * 0.5);
    cols[3].AppendBool(r % 2 == 0);
    cols[4].AppendInt(int64_t{1622505600000000} + r);
    cols[5].AppendString(r == 1 ? "rain" : "sun");
  }
  return *cairn::table::Table::Make(schema, std::move(cols));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cairn::table::Table table = MakeTable();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = cairn::data::FilterExpr::Parse(text);
  if (!expr.ok()) return 0;
  auto again = cairn::data::FilterExpr::Parse(expr->ToString());
  if (!again.ok() || !(*again == *expr) || again->ToString() != expr->ToString()) __builtin_trap();
  if (expr->Bind(table.schema()).ok()) {
    std::vector<uint8_t> mask;
    if (!expr->Evaluate(table, &mask).ok() || mask.size() != 4) __builtin_trap();
  }
  return 0;
}
