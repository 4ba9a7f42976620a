#include "table/types.h"

namespace cairn::table {

std::string DataType::ToString() const {
  switch (kind) {
    case TypeKind::kInt64:
      return "int64";
    case TypeKind::kFloat64:
      return "float64";
    case TypeKind::kBool:
      return "bool";
    case TypeKind::kString:
      return "string";
    case TypeKind::kTimestamp:
      switch (unit) {
        case TimeUnit::kMilli:
          return "timestamp[ms]";
        case TimeUnit::kMicro:
          return "timestamp[us]";
        case TimeUnit::kNano:
          return "timestamp[ns]";
      }
  }
  return "?";
}

Result<DataType> ParseDataType(std::string_view name) {
  if (name == "int64" || name == "int" || name == "integer") return DataType::Int64();
  if (name == "float64" || name == "float" || name == "double") return DataType::Float64();
  if (name == "bool" || name == "boolean") return DataType::Bool();
  if (name == "string" || name == "str" || name == "utf8") return DataType::String();
  if (name == "timestamp" || name == "timestamp[us]") return DataType::Timestamp();
  if (name == "timestamp[ms]") return DataType::Timestamp(TimeUnit::kMilli);
  if (name == "timestamp[ns]") return DataType::Timestamp(TimeUnit::kNano);
  return Status::InvalidArgument("unknown type '" + std::string(name) +
                                 "' (expected int64, float64, bool, string, timestamp, "
                                 "timestamp[ms], timestamp[us] or timestamp[ns])");
}

int TimeUnitDigits(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kMilli:
      return 3;
    case TimeUnit::kMicro:
      return 6;
    case TimeUnit::kNano:
      return 9;
  }
  return 6;
}

int64_t TimeUnitPerSecond(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kMilli:
      return 1000;
    case TimeUnit::kMicro:
      return 1000000;
    case TimeUnit::kNano:
      return 1000000000;
  }
  return 1000000;
}

int Schema::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string Schema::ToString() const {
  std::string out;
  for (const auto& f : fields_) {
    out += f.name;
    out += ": ";
    out += f.type.ToString();
    if (!f.nullable) out += " not null";
    out += '\n';
  }
  return out;
}

}  // namespace cairn::table
