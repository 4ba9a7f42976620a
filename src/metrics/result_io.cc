#include "metrics/result_io.h"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "base/file.h"
#include "base/json.h"
#include "table/io.h"

namespace cairn::metrics {
namespace {

namespace od = simdjson::ondemand;

// `path` extended by the member `key`: `.key` for identifiers, `["key"]` otherwise.
std::string MemberPath(const std::string& path, std::string_view key) {
  bool identifier = !key.empty() && !(key[0] >= '0' && key[0] <= '9');
  for (char c : key) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    identifier = identifier && ok;
  }
  if (identifier) return path + "." + std::string(key);
  return path + "[" + JsonString(key) + "]";
}

std::string ElementPath(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string_view TypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "a value";
}

// Reads one result document. Every member is visited in document order, so a syntax error
// is found where it is and reported with its line, column and the path being read.
class ResultParser {
 public:
  ResultParser(std::string_view json, std::string_view source)
      : json_(json), padded_(json), source_(source) {}

  Result<EvaluationResult> Parse() {
    simdjson::error_code err = parser_.iterate(padded_).get(doc_);
    if (err != simdjson::SUCCESS) return JsonError(err, "$");
    iterating_ = true;
    od::object root;
    err = doc_.get_object().get(root);
    if (err == simdjson::INCORRECT_TYPE) return Error("$", "expected an object");
    if (err != simdjson::SUCCESS) return JsonError(err, "$");
    EvaluationResult result;
    std::set<std::string> seen;
    for (auto field_result : root) {
      od::field field;
      err = std::move(field_result).get(field);
      if (err != simdjson::SUCCESS) return JsonError(err, "$");
      std::string_view key_view;
      err = field.unescaped_key().get(key_view);
      if (err != simdjson::SUCCESS) return JsonError(err, "$");
      std::string key(key_view);
      std::string path = MemberPath("$", key);
      if (!seen.insert(key).second) return Error(path, "duplicate member");
      od::value v = field.value();
      if (key == "cairn_version") {
        CAIRN_ASSIGN_OR_RETURN(result.cairn_version, String(v, path));
      } else if (key == "task") {
        CAIRN_ASSIGN_OR_RETURN(result.task, String(v, path));
      } else if (key == "inputs") {
        CAIRN_RETURN_IF_ERROR(Inputs(v, path, &result.inputs));
      } else if (key == "classes") {
        CAIRN_RETURN_IF_ERROR(ForEachElement(v, path, [&](od::value e, const std::string& p) {
          CAIRN_ASSIGN_OR_RETURN(std::string name, String(e, p));
          result.classes.push_back(std::move(name));
          return Status::Ok();
        }));
      } else if (key == "rows") {
        CAIRN_ASSIGN_OR_RETURN(result.rows, Rows(v, path));
      } else if (key == "overall") {
        CAIRN_RETURN_IF_ERROR(Outputs(v, path, &result.overall, nullptr));
      } else if (key == "slices") {
        CAIRN_RETURN_IF_ERROR(Slicings(v, path, &result.slicings));
      } else {
        return Error(path, "unknown member");
      }
    }
    for (std::string_view required :
         {"cairn_version", "task", "inputs", "classes", "rows", "overall", "slices"}) {
      if (seen.count(std::string(required)) == 0) {
        return Error("$", "missing member '" + std::string(required) + "'");
      }
    }
    // Past the end of the document there is no current location; anything else is trailing
    // content.
    const char* rest = nullptr;
    if (doc_.current_location().get(rest) == simdjson::SUCCESS) {
      return JsonError(simdjson::TRAILING_CONTENT, "$");
    }
    return result;
  }

 private:
  Status Error(const std::string& path, const std::string& what) const {
    return Status::InvalidArgument(std::string(source_) + ": " + path + ": " + what);
  }

  // A simdjson error: a wrong type where one was checked by simdjson, or invalid JSON, for
  // which the line and column of the current position are given when known.
  Status JsonError(simdjson::error_code err, const std::string& path) {
    std::string where(source_);
    const char* at = nullptr;
    bool known = false;
    size_t offset = 0;
    if (err == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || err == simdjson::UNCLOSED_STRING) {
      // Found before reading starts: the document ends too early.
      known = true;
      offset = json_.size();
    } else if (iterating_ && doc_.current_location().get(at) == simdjson::SUCCESS &&
               at >= padded_.data() && at <= padded_.data() + json_.size()) {
      known = true;
      offset = static_cast<size_t>(at - padded_.data());
    }
    if (known) {
      size_t line = 1;
      size_t line_start = 0;
      for (size_t i = 0; i < offset; ++i) {
        if (json_[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
      }
      where += ":" + std::to_string(line) + ":" + std::to_string(offset - line_start + 1);
    }
    return Status::InvalidArgument(where + ": invalid JSON at " + path + ": " +
                                   simdjson::error_message(err));
  }

  Result<od::json_type> Type(od::value& v, const std::string& path) {
    od::json_type t;
    simdjson::error_code err = v.type().get(t);
    if (err != simdjson::SUCCESS) return JsonError(err, path);
    return t;
  }

  Status Expect(od::value& v, const std::string& path, od::json_type want,
                std::string_view want_text) {
    CAIRN_ASSIGN_OR_RETURN(od::json_type t, Type(v, path));
    if (t != want) {
      return Error(path,
                   "expected " + std::string(want_text) + ", got " + std::string(TypeName(t)));
    }
    return Status::Ok();
  }

  Result<std::string> String(od::value v, const std::string& path) {
    CAIRN_RETURN_IF_ERROR(Expect(v, path, od::json_type::string, "a string"));
    std::string_view s;
    simdjson::error_code err = v.get_string().get(s);
    if (err != simdjson::SUCCESS) return JsonError(err, path);
    return std::string(s);
  }

  // A number: an integer literal that fits int64 is a count (except `-0`, the number -0.0);
  // anything else is a double, parsed correctly rounded.
  Result<MetricValue> Number(od::value& v, const std::string& path) {
    od::number_type type;
    simdjson::error_code err = v.get_number_type().get(type);
    if (err != simdjson::SUCCESS) return JsonError(err, path);
    if (type == od::number_type::signed_integer) {
      std::string_view raw = v.raw_json_token();
      int64_t i = 0;
      err = v.get_int64().get(i);
      if (err != simdjson::SUCCESS) return JsonError(err, path);
      if (i == 0 && !raw.empty() && raw[0] == '-') return MetricValue::Number(-0.0);
      return MetricValue::Count(i);
    }
    double d = 0;
    err = v.get_double().get(d);
    if (err != simdjson::SUCCESS) return JsonError(err, path);
    return MetricValue::Number(d);
  }

  // A non-negative integer (row counts, byte sizes).
  Result<int64_t> Rows(od::value v, const std::string& path) {
    CAIRN_RETURN_IF_ERROR(Expect(v, path, od::json_type::number, "a non-negative integer"));
    CAIRN_ASSIGN_OR_RETURN(MetricValue n, Number(v, path));
    if (n.kind != MetricValue::Kind::kCount || n.count < 0) {
      return Error(path, "expected a non-negative integer");
    }
    return n.count;
  }

  template <typename F>
  Status ForEachElement(od::value v, const std::string& path, F&& f) {
    CAIRN_RETURN_IF_ERROR(Expect(v, path, od::json_type::array, "an array"));
    od::array array;
    simdjson::error_code err = v.get_array().get(array);
    if (err != simdjson::SUCCESS) return JsonError(err, path);
    size_t i = 0;
    for (auto element_result : array) {
      od::value element;
      std::string element_path = ElementPath(path, i++);
      // get() is rvalue-only, whatever the type's copy cost.
      err = std::move(element_result).get(element);  // NOLINT(performance-move-const-arg)
      if (err != simdjson::SUCCESS) return JsonError(err, element_path);
      CAIRN_RETURN_IF_ERROR(f(element, element_path));
    }
    return Status::Ok();
  }

  // Calls f(key, value, path) for each member; a key seen twice is an error.
  template <typename F>
  Status ForEachMember(od::value v, const std::string& path, F&& f) {
    CAIRN_RETURN_IF_ERROR(Expect(v, path, od::json_type::object, "an object"));
    od::object object;
    simdjson::error_code err = v.get_object().get(object);
    if (err != simdjson::SUCCESS) return JsonError(err, path);
    std::set<std::string, std::less<>> seen;
    for (auto field_result : object) {
      od::field field;
      err = std::move(field_result).get(field);
      if (err != simdjson::SUCCESS) return JsonError(err, path);
      std::string_view key_view;
      err = field.unescaped_key().get(key_view);
      if (err != simdjson::SUCCESS) return JsonError(err, path);
      std::string key(key_view);
      std::string member_path = MemberPath(path, key);
      if (!seen.insert(key).second) return Error(member_path, "duplicate member");
      CAIRN_RETURN_IF_ERROR(f(key, field.value(), member_path));
    }
    return Status::Ok();
  }

  Status Inputs(od::value v, const std::string& path, std::vector<EvaluationResult::Input>* out) {
    return ForEachElement(v, path, [&](od::value e, const std::string& p) {
      EvaluationResult::Input input;
      std::set<std::string> seen;
      CAIRN_RETURN_IF_ERROR(
          ForEachMember(e, p, [&](const std::string& key, od::value m, const std::string& mp) {
            seen.insert(key);
            if (key == "path") {
              CAIRN_ASSIGN_OR_RETURN(input.path, String(m, mp));
            } else if (key == "bytes") {
              CAIRN_ASSIGN_OR_RETURN(input.bytes, Rows(m, mp));
            } else if (key == "xxh3") {
              CAIRN_ASSIGN_OR_RETURN(input.xxh3, String(m, mp));
            } else {
              return Error(mp, "unknown member");
            }
            return Status::Ok();
          }));
      for (std::string_view required : {"path", "bytes", "xxh3"}) {
        if (seen.count(std::string(required)) == 0) {
          return Error(p, "missing member '" + std::string(required) + "'");
        }
      }
      out->push_back(std::move(input));
      return Status::Ok();
    });
  }

  Result<MetricValue> Matrix(od::value v, const std::string& path) {
    std::vector<std::vector<int64_t>> matrix;
    auto cell = [&](od::value c, const std::string& cp) -> Status {
      CAIRN_RETURN_IF_ERROR(Expect(c, cp, od::json_type::number, "an integer"));
      CAIRN_ASSIGN_OR_RETURN(MetricValue n, Number(c, cp));
      if (n.kind != MetricValue::Kind::kCount) return Error(cp, "expected an integer");
      matrix.back().push_back(n.count);
      return Status::Ok();
    };
    auto row = [&](od::value r, const std::string& rp) -> Status {
      matrix.emplace_back();
      return ForEachElement(r, rp, cell);
    };
    CAIRN_RETURN_IF_ERROR(ForEachElement(v, path, row));
    return MetricValue::Matrix(std::move(matrix));
  }

  Result<MetricValue> Curve(od::value v, const std::string& path) {
    std::vector<CurveSeries> series;
    CurveSeries one;
    auto point = [&](od::value p, const std::string& pp) -> Status {
      CAIRN_ASSIGN_OR_RETURN(od::json_type t, Type(p, pp));
      if (t == od::json_type::null) {
        bool is_null = false;
        simdjson::error_code err = p.is_null().get(is_null);
        if (err != simdjson::SUCCESS) return JsonError(err, pp);
        one.values.push_back(std::numeric_limits<double>::quiet_NaN());
        return Status::Ok();
      }
      if (t != od::json_type::number) {
        return Error(pp, "expected a number or null, got " + std::string(TypeName(t)));
      }
      CAIRN_ASSIGN_OR_RETURN(MetricValue n, Number(p, pp));
      one.values.push_back(n.kind == MetricValue::Kind::kCount ? static_cast<double>(n.count)
                                                               : n.number);
      return Status::Ok();
    };
    auto member = [&](const std::string& key, od::value s, const std::string& sp) -> Status {
      one = CurveSeries{key, {}};
      CAIRN_RETURN_IF_ERROR(ForEachElement(s, sp, point));
      if (!series.empty() && one.values.size() != series.front().values.size()) {
        return Error(sp, "has " + std::to_string(one.values.size()) + " points, but '" +
                             series.front().name + "' has " +
                             std::to_string(series.front().values.size()));
      }
      series.push_back(std::move(one));
      return Status::Ok();
    };
    CAIRN_RETURN_IF_ERROR(ForEachMember(v, path, member));
    return MetricValue::Curve(std::move(series));
  }

  Result<MetricValue> Value(od::value v, const std::string& path) {
    CAIRN_ASSIGN_OR_RETURN(od::json_type t, Type(v, path));
    switch (t) {
      case od::json_type::number:
        return Number(v, path);
      case od::json_type::array:
        return Matrix(v, path);
      case od::json_type::object:
        return Curve(v, path);
      case od::json_type::null: {
        bool is_null = false;
        simdjson::error_code err = v.is_null().get(is_null);
        if (err != simdjson::SUCCESS) return JsonError(err, path);
        // Without an entry in null_reasons this is a NaN number (see Outputs).
        return MetricValue::Null("");
      }
      case od::json_type::string:
      case od::json_type::boolean:
        break;
    }
    return Error(path,
                 "expected a number, a matrix, a curve or null, got " + std::string(TypeName(t)));
  }

  // The outputs of the whole input (`rows` null) or of one slice (with its "rows" member).
  Status Outputs(od::value v, const std::string& path, MetricOutputs* out, int64_t* rows) {
    std::map<std::string, std::string> reasons;
    bool has_rows = false;
    std::string reasons_path = MemberPath(path, "null_reasons");
    CAIRN_RETURN_IF_ERROR(
        ForEachMember(v, path, [&](const std::string& key, od::value m, const std::string& mp) {
          if (rows != nullptr && key == "rows") {
            has_rows = true;
            CAIRN_ASSIGN_OR_RETURN(*rows, Rows(m, mp));
            return Status::Ok();
          }
          if (key == "null_reasons") {
            return ForEachMember(m, mp,
                                 [&](const std::string& name, od::value r, const std::string& rp) {
                                   CAIRN_ASSIGN_OR_RETURN(reasons[name], String(r, rp));
                                   return Status::Ok();
                                 });
          }
          CAIRN_ASSIGN_OR_RETURN(MetricValue value, Value(m, mp));
          out->emplace_back(key, std::move(value));
          return Status::Ok();
        }));
    if (rows != nullptr && !has_rows) return Error(path, "missing member 'rows'");
    for (auto& [key, value] : *out) {
      if (value.kind != MetricValue::Kind::kNull) continue;
      auto it = reasons.find(key);
      if (it == reasons.end()) {
        value = MetricValue::Number(std::numeric_limits<double>::quiet_NaN());
      } else {
        value.reason = std::move(it->second);
        reasons.erase(it);
      }
    }
    if (!reasons.empty()) {
      return Error(MemberPath(reasons_path, reasons.begin()->first),
                   "a reason for a value that is not null");
    }
    return Status::Ok();
  }

  Status Slicings(od::value v, const std::string& path,
                  std::vector<EvaluationResult::Slicing>* out) {
    return ForEachMember(v, path, [&](const std::string& name, od::value s, const std::string& sp) {
      EvaluationResult::Slicing slicing;
      size_t start = 0;
      while (true) {
        size_t comma = name.find(',', start);
        slicing.columns.push_back(name.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      auto slice_member = [&](const std::string& key, od::value o,
                              const std::string& op) -> Status {
        EvaluationResult::Slice slice;
        slice.values = SplitSliceKey(key);
        if (slice.values.size() != slicing.columns.size()) {
          return Error(op, "slice key has " + std::to_string(slice.values.size()) + " values for " +
                               std::to_string(slicing.columns.size()) + " columns");
        }
        if (JoinSliceKey(slice.values) != key) {
          return Error(op, "malformed slice key (a '\\' must escape '|' or '\\')");
        }
        CAIRN_RETURN_IF_ERROR(Outputs(o, op, &slice.outputs, &slice.rows));
        slicing.slices.push_back(std::move(slice));
        return Status::Ok();
      };
      CAIRN_RETURN_IF_ERROR(ForEachMember(s, sp, slice_member));
      out->push_back(std::move(slicing));
      return Status::Ok();
    });
  }

  std::string_view json_;
  simdjson::padded_string padded_;
  std::string_view source_;
  od::parser parser_;
  od::document doc_;
  bool iterating_ = false;  // doc_ is valid (iterate succeeded)
};

void AppendLongRows(const std::string& slicing, const std::string& slice, int64_t rows,
                    const MetricOutputs& outputs, const std::vector<std::string>& classes,
                    std::vector<table::Column>* cols) {
  auto add = [&](const std::string& metric, const MetricValue* number_or_null, double value) {
    (*cols)[0].AppendString(slicing);
    (*cols)[1].AppendString(slice);
    (*cols)[2].AppendInt(rows);
    (*cols)[3].AppendString(metric);
    if (number_or_null != nullptr && number_or_null->kind == MetricValue::Kind::kNull) {
      (*cols)[4].AppendNull();
      (*cols)[5].AppendString(number_or_null->reason);
    } else if (std::isnan(value)) {
      (*cols)[4].AppendNull();
      (*cols)[5].AppendString("not a number");
    } else {
      (*cols)[4].AppendDouble(value);
      (*cols)[5].AppendNull();
    }
  };
  for (const auto& [key, value] : outputs) {
    switch (value.kind) {
      case MetricValue::Kind::kNumber:
        add(key, nullptr, value.number);
        break;
      case MetricValue::Kind::kCount:
        add(key, nullptr, static_cast<double>(value.count));
        break;
      case MetricValue::Kind::kNull:
        add(key, &value, 0);
        break;
      case MetricValue::Kind::kMatrix: {
        bool named = value.matrix.size() == classes.size();
        for (const auto& row : value.matrix) named = named && row.size() == classes.size();
        for (size_t r = 0; r < value.matrix.size(); ++r) {
          for (size_t c = 0; c < value.matrix[r].size(); ++c) {
            std::string name = key;
            name += '[';
            name += named ? classes[r] : std::to_string(r);
            name += ',';
            name += named ? classes[c] : std::to_string(c);
            name += ']';
            add(name, nullptr, static_cast<double>(value.matrix[r][c]));
          }
        }
        break;
      }
      case MetricValue::Kind::kCurve:
        break;
    }
  }
}

}  // namespace

Result<EvaluationResult> EvaluationResultFromJson(std::string_view json,
                                                  std::string_view source_name) {
  ResultParser parser(json, source_name);
  return parser.Parse();
}

Result<EvaluationResult> ReadEvaluationResult(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string json, ReadFileToString(path));
  return EvaluationResultFromJson(json, path);
}

table::Table EvaluationResultToLongTable(const EvaluationResult& result) {
  table::Schema schema({{"slicing", table::DataType::String(), false},
                        {"slice", table::DataType::String(), false},
                        {"rows", table::DataType::Int64(), false},
                        {"metric", table::DataType::String(), false},
                        {"value", table::DataType::Float64(), true},
                        {"reason", table::DataType::String(), true}});
  std::vector<table::Column> cols;
  for (const table::Field& f : schema.fields()) cols.emplace_back(f.type);
  AppendLongRows("", "", result.rows, result.overall, result.classes, &cols);
  for (const EvaluationResult::Slicing& slicing : result.slicings) {
    std::string name = slicing.Name();
    for (const EvaluationResult::Slice& slice : slicing.slices) {
      AppendLongRows(name, slice.Key(), slice.rows, slice.outputs, result.classes, &cols);
    }
  }
  // The columns are built together and have the same length and types as the schema.
  return std::move(table::Table::Make(std::move(schema), std::move(cols))).value();
}

Status WriteLongTable(const EvaluationResult& result, const std::string& path) {
  return table::WriteTable(path, EvaluationResultToLongTable(result));
}

}  // namespace cairn::metrics
