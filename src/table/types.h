#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn::table {

/// The logical type of a column.
enum class TypeKind : uint8_t { kInt64, kFloat64, kBool, kString, kTimestamp };

/// Resolution of a timestamp column. Values are integers since the Unix epoch, UTC.
enum class TimeUnit : uint8_t { kMilli, kMicro, kNano };

/// A column type: a kind plus, for timestamps, the unit.
struct DataType {
  TypeKind kind = TypeKind::kString;
  TimeUnit unit = TimeUnit::kMicro;  // meaningful only for kTimestamp

  static DataType Int64() { return {TypeKind::kInt64, TimeUnit::kMicro}; }
  static DataType Float64() { return {TypeKind::kFloat64, TimeUnit::kMicro}; }
  static DataType Bool() { return {TypeKind::kBool, TimeUnit::kMicro}; }
  static DataType String() { return {TypeKind::kString, TimeUnit::kMicro}; }
  static DataType Timestamp(TimeUnit unit = TimeUnit::kMicro) {
    return {TypeKind::kTimestamp, unit};
  }

  bool operator==(const DataType& o) const {
    return kind == o.kind && (kind != TypeKind::kTimestamp || unit == o.unit);
  }
  bool operator!=(const DataType& o) const { return !(*this == o); }
  /// "int64", "float64", "bool", "string", "timestamp[ms]", "timestamp[us]", "timestamp[ns]".
  std::string ToString() const;
};

/// Parses the names printed by DataType::ToString, plus the aliases "int", "float", "double",
/// "boolean", "str" and "timestamp" (= timestamp[us]).
Result<DataType> ParseDataType(std::string_view name);

/// Number of fractional-second digits of a unit (3, 6, 9).
int TimeUnitDigits(TimeUnit unit);
/// Units per second (1e3, 1e6, 1e9).
int64_t TimeUnitPerSecond(TimeUnit unit);

/// A named, typed column of a schema.
struct Field {
  std::string name;
  DataType type;
  bool nullable = true;

  bool operator==(const Field& o) const {
    return name == o.name && type == o.type && nullable == o.nullable;
  }
};

/// An ordered list of fields with unique names.
class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

  const std::vector<Field>& fields() const { return fields_; }
  int num_fields() const { return static_cast<int>(fields_.size()); }
  const Field& field(int i) const { return fields_[static_cast<size_t>(i)]; }
  Field& mutable_field(int i) { return fields_[static_cast<size_t>(i)]; }
  void AddField(Field f) { fields_.push_back(std::move(f)); }
  /// Index of the field called `name`, or -1.
  int FieldIndex(std::string_view name) const;
  bool operator==(const Schema& o) const { return fields_ == o.fields_; }
  /// One line per field: "name: type" plus " not null" when required.
  std::string ToString() const;

 private:
  std::vector<Field> fields_;
};

}  // namespace cairn::table
