#include "metrics/formula.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>

#include "table/column.h"

namespace cairn::metrics {

namespace {

// Parentheses and unary signs nested deeper than this are refused (bounds the recursion).
constexpr int kMaxDepth = 100;

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

struct Function {
  std::string_view name;
  size_t min_args;
  size_t max_args;  // 0: no limit
};

constexpr Function kFunctions[] = {
    {"sqrt", 1, 1}, {"log", 1, 1}, {"exp", 1, 1}, {"abs", 1, 1},
    {"pow", 2, 2},  {"min", 1, 0}, {"max", 1, 0},
};

const Function* FindFunction(std::string_view name) {
  for (const Function& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// A reference as parsed, before formula names are known.
struct ParsedRef {
  std::string key;     // MetricSpec::Key()
  bool plain = false;  // no parameters, no class: may name a formula
};

}  // namespace

// Parses one formula into postfix ops; metric references become kMetric ops whose index
// points into `refs` (resolved against the formula names afterwards). Not thread-safe.
class FormulaParser {
 public:
  using Op = FormulaSet::Op;
  using OpCode = FormulaSet::OpCode;

  FormulaParser(std::string_view name, std::string_view text) : name_(name), text_(text) {}

  Status Parse(std::vector<Op>* program, std::vector<ParsedRef>* refs) {
    program_ = program;
    refs_ = refs;
    CAIRN_RETURN_IF_ERROR(ParseExpr(0));
    SkipSpace();
    if (pos_ < text_.size()) return Unexpected(pos_);
    return Status::Ok();
  }

 private:
  // "formula 'NAME': <what> at column N", then the text and a caret under column N (the
  // text's line breaks and tabs shown as spaces so that the caret lines up).
  Status ErrorAt(size_t pos, const std::string& what) const {
    pos = std::min(pos, text_.size());
    size_t column = 1;
    std::string caret;
    for (size_t i = 0; i < pos; ++i) {
      if (IsContinuationByte(text_[i])) continue;
      ++column;
      caret += ' ';
    }
    std::string shown(text_);
    std::replace_if(shown.begin(), shown.end(), IsSpace, ' ');
    return Status::InvalidArgument("formula " + Quote(name_) + ": " + what + " at column " +
                                   std::to_string(column) + "\n  " + shown + "\n  " + caret + "^");
  }

  std::string Describe(size_t pos) const {
    if (pos >= text_.size()) return "end of formula";
    size_t len = 1;
    while (pos + len < text_.size() && IsContinuationByte(text_[pos + len])) ++len;
    return Quote(text_.substr(pos, len));
  }

  Status Unexpected(size_t pos) const { return ErrorAt(pos, "unexpected " + Describe(pos)); }

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }

  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  void Emit(OpCode code) {
    Op op;
    op.code = code;
    program_->push_back(op);
  }

  Status ParseExpr(int depth) {
    CAIRN_RETURN_IF_ERROR(ParseTerm(depth));
    while (true) {
      if (Peek('+') || Peek('-')) {
        OpCode code = text_[pos_] == '+' ? OpCode::kAdd : OpCode::kSub;
        ++pos_;
        CAIRN_RETURN_IF_ERROR(ParseTerm(depth));
        Emit(code);
      } else {
        return Status::Ok();
      }
    }
  }

  Status ParseTerm(int depth) {
    CAIRN_RETURN_IF_ERROR(ParseUnary(depth));
    while (true) {
      if (Peek('*') || Peek('/')) {
        OpCode code = text_[pos_] == '*' ? OpCode::kMul : OpCode::kDiv;
        ++pos_;
        CAIRN_RETURN_IF_ERROR(ParseUnary(depth));
        Emit(code);
      } else {
        return Status::Ok();
      }
    }
  }

  Status ParseUnary(int depth) {
    SkipSpace();
    if (depth >= kMaxDepth) return ErrorAt(pos_, "formula nested too deeply");
    if (Peek('-')) {
      ++pos_;
      CAIRN_RETURN_IF_ERROR(ParseUnary(depth + 1));
      Emit(OpCode::kNeg);
      return Status::Ok();
    }
    if (Peek('+')) {
      ++pos_;
      return ParseUnary(depth + 1);
    }
    return ParsePrimary(depth);
  }

  // NUMBER := D+ [ "." D* ] [ ("e"|"E") ["+"|"-"] D+ ] | "." D+ [ exponent ]
  Result<double> ParseNumber() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ == start + 1 && text_[start] == '.')
      return ErrorAt(start, "expected a digit after '.'");
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t e = pos_;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
        return ErrorAt(
            e, "expected digits in the exponent of " + Quote(text_.substr(start, pos_ - start)));
      }
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    std::string_view number = text_.substr(start, pos_ - start);
    double value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(value)) {
      return ErrorAt(start, "number " + Quote(number) + " is out of range");
    }
    return value;
  }

  bool AtNumber() const {
    if (pos_ >= text_.size()) return false;
    if (IsDigit(text_[pos_])) return true;
    return text_[pos_] == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]);
  }

  std::string_view ParseName() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // True if the text after `open` (a '(') starts with `NAME =`: a metric's parameter list.
  bool StartsParams(size_t open) const {
    size_t i = open + 1;
    while (i < text_.size() && IsSpace(text_[i])) ++i;
    if (i >= text_.size() || !IsNameStart(text_[i])) return false;
    while (i < text_.size() && IsNameChar(text_[i])) ++i;
    while (i < text_.size() && IsSpace(text_[i])) ++i;
    return i < text_.size() && text_[i] == '=';
  }

  Status ExpectClose(size_t open) {
    if (Peek(')')) {
      ++pos_;
      return Status::Ok();
    }
    SkipSpace();
    return ErrorAt(pos_, "expected ')' to close the '(' at column " + ColumnOf(open) + ", found " +
                             Describe(pos_));
  }

  std::string ColumnOf(size_t pos) const {
    size_t column = 1;
    for (size_t i = 0; i < pos && i < text_.size(); ++i) {
      if (!IsContinuationByte(text_[i])) ++column;
    }
    return std::to_string(column);
  }

  Status ParsePrimary(int depth) {
    SkipSpace();
    if (AtNumber()) {
      CAIRN_ASSIGN_OR_RETURN(double value, ParseNumber());
      Op op;
      op.code = OpCode::kNumber;
      op.number = value;
      program_->push_back(op);
      return Status::Ok();
    }
    if (Peek('(')) {
      size_t open = pos_++;
      CAIRN_RETURN_IF_ERROR(ParseExpr(depth + 1));
      return ExpectClose(open);
    }
    if (pos_ >= text_.size() || !IsNameStart(text_[pos_])) return Unexpected(pos_);
    const size_t name_pos = pos_;
    std::string_view name = ParseName();
    if (Peek('(') && !StartsParams(pos_)) return ParseCall(name_pos, name, depth);
    return ParseRef(name);
  }

  Status ParseCall(size_t name_pos, std::string_view name, int depth) {
    const Function* function = FindFunction(name);
    if (function == nullptr) {
      std::string list;
      for (const Function& f : kFunctions) {
        if (!list.empty()) list += ", ";
        list += f.name;
      }
      return ErrorAt(name_pos, "unknown function " + Quote(name) + " (functions: " + list +
                                   "; a metric's parameters are written NAME=NUMBER)");
    }
    const size_t open = pos_++;
    size_t argc = 0;
    if (!Peek(')')) {
      while (true) {
        CAIRN_RETURN_IF_ERROR(ParseExpr(depth + 1));
        ++argc;
        if (!Peek(',')) break;
        ++pos_;
      }
    }
    CAIRN_RETURN_IF_ERROR(ExpectClose(open));
    if (argc < function->min_args || (function->max_args != 0 && argc > function->max_args)) {
      std::string want = function->max_args == 0 ? "at least " + std::to_string(function->min_args)
                                                 : std::to_string(function->min_args);
      return ErrorAt(name_pos, std::string(name) + " takes " + want + " argument" +
                                   (function->min_args == 1 ? "" : "s") + ", got " +
                                   std::to_string(argc));
    }
    Op op;
    op.argc = argc;
    if (name == "sqrt") op.code = OpCode::kSqrt;
    if (name == "log") op.code = OpCode::kLog;
    if (name == "exp") op.code = OpCode::kExp;
    if (name == "abs") op.code = OpCode::kAbs;
    if (name == "pow") op.code = OpCode::kPow;
    if (name == "min") op.code = OpCode::kMin;
    if (name == "max") op.code = OpCode::kMax;
    program_->push_back(op);
    return Status::Ok();
  }

  Status ParseRef(std::string_view name) {
    MetricSpec spec;
    spec.name = std::string(name);
    if (Peek('(')) {
      const size_t open = pos_++;
      while (true) {
        SkipSpace();
        const size_t param_pos = pos_;
        if (pos_ >= text_.size() || !IsNameStart(text_[pos_])) {
          return ErrorAt(pos_, "expected a parameter NAME=NUMBER, found " + Describe(pos_));
        }
        std::string param(ParseName());
        if (!Peek('=')) return ErrorAt(pos_, "expected '=' after parameter " + Quote(param));
        ++pos_;
        SkipSpace();
        bool negative = false;
        if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) {
          negative = text_[pos_] == '-';
          ++pos_;
        }
        if (!AtNumber()) {
          return ErrorAt(pos_, "expected a number for parameter " + Quote(param) + ", found " +
                                   Describe(pos_));
        }
        CAIRN_ASSIGN_OR_RETURN(double value, ParseNumber());
        if (!spec.params.emplace(param, negative ? -value : value).second) {
          return ErrorAt(param_pos, "parameter " + Quote(param) + " given twice");
        }
        if (Peek(',')) {
          ++pos_;
          continue;
        }
        CAIRN_RETURN_IF_ERROR(ExpectClose(open));
        break;
      }
    }
    if (Peek('[')) {
      const size_t open = pos_++;
      size_t close = text_.find(']', pos_);
      if (close == std::string_view::npos) {
        return ErrorAt(open, "missing ']' to close this '['");
      }
      if (close == pos_) return ErrorAt(open, "empty class name in '[]'");
      spec.class_name = std::string(text_.substr(pos_, close - pos_));
      pos_ = close + 1;
    }
    ParsedRef ref;
    ref.plain = spec.params.empty() && !spec.class_name;
    ref.key = spec.Key();
    Op op;
    op.code = OpCode::kMetric;
    op.index = refs_->size();
    refs_->push_back(std::move(ref));
    program_->push_back(op);
    return Status::Ok();
  }

  std::string_view name_;
  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Op>* program_ = nullptr;
  std::vector<ParsedRef>* refs_ = nullptr;
};

std::vector<std::string> FormulaSet::Names() const {
  std::vector<std::string> names;
  names.reserve(formulas_.size());
  for (const Formula& f : formulas_) names.push_back(f.name);
  return names;
}

Result<FormulaSet> ParseFormulas(std::vector<std::pair<std::string, std::string>> name_and_text) {
  using Op = FormulaSet::Op;
  using OpCode = FormulaSet::OpCode;
  FormulaSet set;
  std::map<std::string, size_t, std::less<>> index;
  for (auto& entry : name_and_text) {
    const std::string& name = entry.first;
    if (name.empty() || !IsNameStart(name[0]) ||
        !std::all_of(name.begin(), name.end(), IsNameChar)) {
      return Status::InvalidArgument("formula name " + Quote(name) +
                                     " is not a name (letters, digits and _, not starting with "
                                     "a digit)");
    }
    if (FindFunction(name) != nullptr) {
      return Status::InvalidArgument("formula name " + Quote(name) + " is a function name");
    }
    if (!index.emplace(name, set.formulas_.size()).second) {
      return Status::InvalidArgument("formula " + Quote(name) + " is defined twice");
    }
    FormulaSet::Formula formula;
    formula.name = std::move(entry.first);
    formula.text = std::move(entry.second);
    set.formulas_.push_back(std::move(formula));
  }

  // Parse, then resolve each reference to a formula or to a metric key.
  std::map<std::string, size_t, std::less<>> metric_index;
  std::vector<std::vector<size_t>> deps(set.formulas_.size());
  for (size_t f = 0; f < set.formulas_.size(); ++f) {
    FormulaSet::Formula& formula = set.formulas_[f];
    std::vector<ParsedRef> refs;
    FormulaParser parser(formula.name, formula.text);
    CAIRN_RETURN_IF_ERROR(parser.Parse(&formula.program, &refs));
    for (Op& op : formula.program) {
      if (op.code != OpCode::kMetric) continue;
      ParsedRef& ref = refs[op.index];
      auto formula_it = ref.plain ? index.find(ref.key) : index.end();
      if (formula_it != index.end()) {
        op.code = OpCode::kFormula;
        op.index = formula_it->second;
        if (std::find(deps[f].begin(), deps[f].end(), op.index) == deps[f].end()) {
          deps[f].push_back(op.index);
        }
        continue;
      }
      auto [it, inserted] = metric_index.emplace(ref.key, set.references_.size());
      if (inserted) set.references_.push_back(ref.key);
      op.index = it->second;
    }
  }

  // Depth-first search in definition order: post-order is an evaluation order, and an edge
  // back to a formula on the path is a cycle.
  enum class Mark : uint8_t { kNew, kOnPath, kDone };
  std::vector<Mark> marks(set.formulas_.size(), Mark::kNew);
  for (size_t start = 0; start < set.formulas_.size(); ++start) {
    if (marks[start] != Mark::kNew) continue;
    // (formula, next dependency to visit)
    std::vector<std::pair<size_t, size_t>> path = {{start, 0}};
    marks[start] = Mark::kOnPath;
    while (!path.empty()) {
      auto& [f, next] = path.back();
      if (next == deps[f].size()) {
        marks[f] = Mark::kDone;
        set.order_.push_back(f);
        path.pop_back();
        continue;
      }
      size_t dep = deps[f][next++];
      if (marks[dep] == Mark::kDone) continue;
      if (marks[dep] == Mark::kOnPath) {
        std::string cycle;
        bool in_cycle = false;
        for (const auto& step : path) {
          in_cycle = in_cycle || step.first == dep;
          if (in_cycle) cycle += Quote(set.formulas_[step.first].name) + " -> ";
        }
        cycle += Quote(set.formulas_[dep].name);
        return Status::InvalidArgument("formula " + cycle + " is a cycle");
      }
      marks[dep] = Mark::kOnPath;
      path.emplace_back(dep, 0);
    }
  }
  return set;
}

namespace {

// A value on the evaluation stack: a finite number, or undefined with a reason.
struct Value {
  double number = 0;
  std::optional<std::string> null_reason;
};

Value Undefined(std::string why) { return Value{0, "undefined: " + std::move(why)}; }

// The part of a null reason after "undefined: ".
std::string_view ReasonDetail(std::string_view reason) {
  constexpr std::string_view kPrefix = "undefined: ";
  if (reason.substr(0, kPrefix.size()) == kPrefix) reason.remove_prefix(kPrefix.size());
  return reason;
}

Value NullInput(std::string_view key, std::string_view reason) {
  std::string why = std::string(key) + " is null";
  std::string_view detail = ReasonDetail(reason);
  if (!detail.empty()) why += " (" + std::string(detail) + ")";
  return Undefined(std::move(why));
}

Value Finite(double v, std::string_view op) {
  if (std::isfinite(v)) return Value{v, std::nullopt};
  return Undefined("overflow in " + std::string(op));
}

}  // namespace

Result<std::vector<std::pair<std::string, MetricValue>>> FormulaSet::Evaluate(
    const MetricLookup& lookup) const {
  std::vector<MetricValue> results(formulas_.size());
  std::vector<Value> stack;
  for (size_t f : order_) {
    const Formula& formula = formulas_[f];
    stack.clear();
    for (const Op& op : formula.program) {
      switch (op.code) {
        case OpCode::kNumber:
          stack.push_back(Value{op.number, std::nullopt});
          continue;
        case OpCode::kMetric: {
          const std::string& key = references_[op.index];
          const MetricValue* value = lookup(key);
          if (value == nullptr) {
            return Status::InvalidArgument("formula " + Quote(formula.name) + ": metric " +
                                           Quote(key) + " has no value (it was not computed)");
          }
          switch (value->kind) {
            case MetricValue::Kind::kNumber:
              stack.push_back(std::isfinite(value->number) ? Value{value->number, std::nullopt}
                                                           : NullInput(key, "not finite"));
              break;
            case MetricValue::Kind::kCount:
              stack.push_back(Value{static_cast<double>(value->count), std::nullopt});
              break;
            case MetricValue::Kind::kNull:
              stack.push_back(NullInput(key, value->reason));
              break;
            case MetricValue::Kind::kMatrix:
            case MetricValue::Kind::kCurve:
              return Status::InvalidArgument(
                  "formula " + Quote(formula.name) + ": " + Quote(key) + " is a " +
                  (value->kind == MetricValue::Kind::kMatrix ? "matrix" : "curve") +
                  ", not a number");
          }
          continue;
        }
        case OpCode::kFormula: {
          const MetricValue& value = results[op.index];
          stack.push_back(value.kind == MetricValue::Kind::kNumber
                              ? Value{value.number, std::nullopt}
                              : NullInput(formulas_[op.index].name, value.reason));
          continue;
        }
        default:
          break;
      }
      // An operator or function over the top `n` values: the leftmost undefined operand
      // makes the result undefined.
      size_t n = 1;
      if (op.code == OpCode::kAdd || op.code == OpCode::kSub || op.code == OpCode::kMul ||
          op.code == OpCode::kDiv || op.code == OpCode::kPow) {
        n = 2;
      } else if (op.code == OpCode::kMin || op.code == OpCode::kMax) {
        n = op.argc;
      }
      if (n == 0 || stack.size() < n) return Status::Internal("formula: stack underflow");
      const size_t base = stack.size() - n;
      auto first_null = std::find_if(stack.begin() + static_cast<std::ptrdiff_t>(base), stack.end(),
                                     [](const Value& v) { return v.null_reason; });
      if (first_null != stack.end()) {
        Value null = std::move(*first_null);
        stack.resize(base);
        stack.push_back(std::move(null));
        continue;
      }
      const double a = stack[base].number;
      const double b = n >= 2 ? stack[base + 1].number : 0;
      Value result;
      switch (op.code) {
        case OpCode::kNeg:
          result = Value{-a, std::nullopt};
          break;
        case OpCode::kAdd:
          result = Finite(a + b, "'+'");
          break;
        case OpCode::kSub:
          result = Finite(a - b, "'-'");
          break;
        case OpCode::kMul:
          result = Finite(a * b, "'*'");
          break;
        case OpCode::kDiv:
          result = b == 0 ? Undefined("division by zero") : Finite(a / b, "'/'");
          break;
        case OpCode::kSqrt:
          result = a < 0 ? Undefined("sqrt of a negative number (" + table::FormatDouble(a) + ")")
                         : Value{std::sqrt(a), std::nullopt};
          break;
        case OpCode::kLog:
          if (a == 0) {
            result = Undefined("log of 0");
          } else if (a < 0) {
            result = Undefined("log of a negative number (" + table::FormatDouble(a) + ")");
          } else {
            result = Value{std::log(a), std::nullopt};
          }
          break;
        case OpCode::kExp:
          result = Finite(std::exp(a), "exp");
          break;
        case OpCode::kAbs:
          result = Value{std::fabs(a), std::nullopt};
          break;
        case OpCode::kPow:
          if (a == 0 && b < 0) {
            result = Undefined("division by zero (pow of 0 to a negative power)");
          } else if (a < 0 && b != std::trunc(b)) {
            result = Undefined("pow of a negative number to a non-integer power");
          } else {
            result = Finite(std::pow(a, b), "pow");
          }
          break;
        case OpCode::kMin:
        case OpCode::kMax: {
          double m = a;
          for (size_t i = base + 1; i < stack.size(); ++i) {
            const double x = stack[i].number;
            m = op.code == OpCode::kMin ? std::min(m, x) : std::max(m, x);
          }
          result = Value{m, std::nullopt};
          break;
        }
        default:
          return Status::Internal("formula: unknown op");
      }
      stack.resize(base);
      stack.push_back(std::move(result));
    }
    if (stack.size() != 1) return Status::Internal("formula: unbalanced program");
    Value& top = stack.back();
    // Adding +0 turns -0 into 0, so that a difference of equal values prints as 0.
    results[f] = top.null_reason ? MetricValue::Null(std::move(*top.null_reason))
                                 : MetricValue::Number(top.number + 0.0);
  }
  std::vector<std::pair<std::string, MetricValue>> out;
  out.reserve(formulas_.size());
  for (size_t f = 0; f < formulas_.size(); ++f) {
    out.emplace_back(formulas_[f].name, std::move(results[f]));
  }
  return out;
}

}  // namespace cairn::metrics
