#include "table/scalar.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "base/time.h"
#include "table/column.h"

namespace cairn::table {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool ParseDouble(std::string_view s, double* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

}  // namespace

std::string Scalar::ToString() const {
  if (is_null) return "null";
  switch (type.kind) {
    case TypeKind::kInt64:
      return std::to_string(int_value);
    case TypeKind::kTimestamp:
      return FormatTimestamp(int_value, TimeUnitDigits(type.unit));
    case TypeKind::kFloat64:
      return FormatDouble(double_value);
    case TypeKind::kBool:
      return int_value ? "true" : "false";
    case TypeKind::kString:
      return "'" + string_value + "'";
  }
  return {};
}

Result<Predicate> ParsePredicate(std::string_view text) {
  static constexpr std::string_view kOps[] = {"==", "!=", "<>", "<=", ">=", "=", "<", ">"};
  std::string_view s = Trim(text);
  size_t best = std::string_view::npos;
  std::string_view op_text;
  for (std::string_view op : kOps) {
    size_t p = s.find(op);
    if (p != std::string_view::npos && (p < best || (p == best && op.size() > op_text.size()))) {
      best = p;
      op_text = op;
    }
  }
  if (best == std::string_view::npos || best == 0) {
    return Status::InvalidArgument("filter '" + std::string(text) +
                                   "': expected <column> <op> <value> with op one of = != < "
                                   "<= > >=");
  }
  Predicate p;
  p.column = std::string(Trim(s.substr(0, best)));
  if (op_text == "=" || op_text == "==") p.op = CompareOp::kEq;
  if (op_text == "!=" || op_text == "<>") p.op = CompareOp::kNe;
  if (op_text == "<") p.op = CompareOp::kLt;
  if (op_text == "<=") p.op = CompareOp::kLe;
  if (op_text == ">") p.op = CompareOp::kGt;
  if (op_text == ">=") p.op = CompareOp::kGe;
  std::string_view lit = Trim(s.substr(best + op_text.size()));
  if (lit.empty()) {
    return Status::InvalidArgument("filter '" + std::string(text) + "': missing value after '" +
                                   std::string(op_text) + "'");
  }
  if (lit.size() >= 2 && lit.front() == '\'' && lit.back() == '\'') {
    p.value = Scalar::String(std::string(lit.substr(1, lit.size() - 2)));
  } else {
    // Kept as text; BindPredicate converts it to the column's type.
    p.value = Scalar::String(std::string(lit));
  }
  return p;
}

Status BindPredicate(const Schema& schema, Predicate* pred) {
  int idx = schema.FieldIndex(pred->column);
  if (idx < 0) return Status::NotFound("filter: no column named '" + pred->column + "'");
  const DataType& type = schema.field(idx).type;
  if (pred->value.is_null || pred->value.type == type) return Status::Ok();
  std::string lit = pred->value.type.kind == TypeKind::kString ? pred->value.string_value
                                                               : pred->value.ToString();
  auto bad = [&](const char* what) {
    return Status::InvalidArgument("filter on '" + pred->column + "': cannot read '" + lit +
                                   "' as " + what);
  };
  switch (type.kind) {
    case TypeKind::kInt64: {
      int64_t v = 0;
      double d = 0;
      if (ParseInt(lit, &v)) {
        pred->value = Scalar::Int(v);
      } else if (ParseDouble(lit, &d)) {
        // Compare an integer column against a fractional literal exactly via float64.
        pred->value = Scalar::Double(d);
      } else {
        return bad("a number");
      }
      return Status::Ok();
    }
    case TypeKind::kFloat64: {
      double d = 0;
      if (!ParseDouble(lit, &d)) return bad("a number");
      pred->value = Scalar::Double(d);
      return Status::Ok();
    }
    case TypeKind::kBool:
      if (lit == "true" || lit == "1") {
        pred->value = Scalar::Bool(true);
      } else if (lit == "false" || lit == "0") {
        pred->value = Scalar::Bool(false);
      } else {
        return bad("a bool");
      }
      return Status::Ok();
    case TypeKind::kString:
      pred->value = Scalar::String(lit);
      return Status::Ok();
    case TypeKind::kTimestamp: {
      auto nanos = ParseTimestampNanos(lit);
      if (!nanos) return bad("a timestamp");
      int64_t per = 1000000000 / TimeUnitPerSecond(type.unit);
      int64_t v = *nanos / per - ((*nanos % per) < 0 ? 1 : 0);
      pred->value = Scalar::Timestamp(v, type.unit);
      return Status::Ok();
    }
  }
  return Status::Internal("unhandled type");
}

int CompareToScalar(const Scalar& lhs, const Scalar& rhs) {
  auto cmp_double = [](double a, double b) {
    bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
    return a < b ? -1 : (a > b ? 1 : 0);
  };
  if (lhs.type.kind == TypeKind::kString) {
    int c = lhs.string_value.compare(rhs.string_value);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (lhs.type.kind == TypeKind::kFloat64 || rhs.type.kind == TypeKind::kFloat64) {
    double a =
        lhs.type.kind == TypeKind::kFloat64 ? lhs.double_value : static_cast<double>(lhs.int_value);
    double b =
        rhs.type.kind == TypeKind::kFloat64 ? rhs.double_value : static_cast<double>(rhs.int_value);
    return cmp_double(a, b);
  }
  return lhs.int_value < rhs.int_value ? -1 : (lhs.int_value > rhs.int_value ? 1 : 0);
}

bool OpMatches(CompareOp op, int cmp) {
  switch (op) {
    case CompareOp::kEq:
      return cmp == 0;
    case CompareOp::kNe:
      return cmp != 0;
    case CompareOp::kLt:
      return cmp < 0;
    case CompareOp::kLe:
      return cmp <= 0;
    case CompareOp::kGt:
      return cmp > 0;
    case CompareOp::kGe:
      return cmp >= 0;
  }
  return false;
}

}  // namespace cairn::table
