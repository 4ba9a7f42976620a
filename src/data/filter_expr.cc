#include "data/filter_expr.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "base/time.h"
#include "table/column.h"
#include "table/scalar.h"
#include "table/table.h"
#include "table/types.h"

namespace cairn::data {
namespace {

using table::CompareOp;
using table::DataType;
using table::TimeUnit;
using table::TypeKind;

// ---- the syntax tree ----

enum class LiteralKind : uint8_t { kString, kInt, kFloat, kBool, kTimestamp };

struct Literal {
  LiteralKind kind = LiteralKind::kString;
  std::string text;        // kString: the value
  int64_t int_value = 0;   // kInt; kBool (0 or 1); kTimestamp (microseconds, UTC)
  double float_value = 0;  // kFloat
  size_t pos = 0;          // byte offset of the literal in the source text
};

enum class NodeKind : uint8_t { kOr, kAnd, kNot, kCompare, kIn, kIsNull, kBoolField };

struct Node {
  NodeKind kind = NodeKind::kCompare;
  std::vector<int> children;  // kOr and kAnd: two or more, none of the same kind; kNot: one
  std::string field;          // the leaves
  size_t field_pos = 0;
  CompareOp op = CompareOp::kEq;  // kCompare: `field op literal`
  bool negated = false;           // kIn: `not in`; kIsNull: `is not null`
  std::vector<Literal> literals;  // kCompare: one; kIn: one or more
};

// Truth values of three-valued logic, ordered so that `and` is min, `or` is max and `not`
// is 2 - x.
constexpr uint8_t kFalse = 0;
constexpr uint8_t kUnknown = 1;
constexpr uint8_t kTrue = 2;

// Parentheses and `not`s nested deeper than this are refused, which bounds the recursion of
// the parser and of every walk over the tree.
constexpr int kMaxDepth = 100;

// Rows evaluated at a time: large enough to amortise the walk over the tree, small enough
// that every intermediate vector stays in cache.
constexpr int64_t kBatchRows = 4096;

// ---- binding ----

enum class BoundMode : uint8_t { kCompare, kConst };

// A leaf resolved against a schema: the column it reads and its literals converted to the
// column's representation.
struct BoundNode {
  int column = -1;
  TypeKind kind = TypeKind::kString;
  BoundMode mode = BoundMode::kCompare;
  CompareOp op = CompareOp::kEq;
  uint8_t const_truth = kFalse;  // kConst: the outcome for every non-null value
  int64_t int_value = 0;         // kInt64, kTimestamp (column unit), kBool (0 or 1)
  double float_value = 0;
  std::string string_value;
  // kIn: the values that can equal a column value, sorted and distinct.
  std::vector<int64_t> int_set;
  std::vector<double> float_set;
  std::vector<std::string> string_set;
};

// ---- error messages ----

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// 1-based number, in UTF-8 code points, of the character at byte `pos`.
size_t CharacterNumber(std::string_view text, size_t pos) {
  size_t n = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (!IsContinuationByte(text[i])) ++n;
  }
  return n;
}

// "filter: at character N: <what>" and the source line with a caret under byte `pos`.
Status ErrorAt(std::string_view text, size_t pos, const std::string& what) {
  pos = std::min(pos, text.size());
  const size_t newline = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
  const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
  size_t line_end = text.find('\n', pos);
  if (line_end == std::string_view::npos) line_end = text.size();
  std::string_view line = text.substr(line_start, line_end - line_start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string caret;
  for (size_t i = line_start; i < pos; ++i) {
    if (IsContinuationByte(text[i])) continue;
    caret += text[i] == '\t' ? '\t' : ' ';
  }
  return Status::InvalidArgument("filter: at character " +
                                 std::to_string(CharacterNumber(text, pos)) + ": " + what + "\n  " +
                                 std::string(line) + "\n  " + caret + "^");
}

// ---- canonical text ----

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsKeyword(std::string_view word) {
  static constexpr std::string_view kKeywords[] = {"and",  "or",   "not",   "in",       "is",
                                                   "null", "true", "false", "timestamp"};
  std::string lower = Lower(word);
  return std::find(std::begin(kKeywords), std::end(kKeywords), lower) != std::end(kKeywords);
}

// True if `name` can be written without double quotes: dotted identifiers, and no keyword.
bool IsPlainName(std::string_view name) {
  if (name.find('.') == std::string_view::npos && IsKeyword(name)) return false;
  bool at_part_start = true;
  for (char c : name) {
    if (at_part_start) {
      if (!IsNameStart(c)) return false;
      at_part_start = false;
    } else if (c == '.') {
      at_part_start = true;
    } else if (!IsNameChar(c)) {
      return false;
    }
  }
  return !at_part_start;
}

std::string Quote(std::string_view s, char quote) {
  std::string out(1, quote);
  for (char c : s) {
    out += c;
    if (c == quote) out += c;
  }
  out += quote;
  return out;
}

std::string FieldText(const std::string& name) {
  return IsPlainName(name) ? name : Quote(name, '"');
}

std::string LiteralText(const Literal& lit) {
  switch (lit.kind) {
    case LiteralKind::kString:
      return Quote(lit.text, '\'');
    case LiteralKind::kInt:
      return std::to_string(lit.int_value);
    case LiteralKind::kFloat:
      return table::FormatDouble(lit.float_value, /*keep_point=*/true);
    case LiteralKind::kBool:
      return lit.int_value != 0 ? "true" : "false";
    case LiteralKind::kTimestamp:
      return "timestamp '" + FormatTimestamp(lit.int_value, 6) + "'";
  }
  return {};
}

std::string_view OpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "=";
}

int Precedence(NodeKind kind) {
  switch (kind) {
    case NodeKind::kOr:
      return 1;
    case NodeKind::kAnd:
      return 2;
    case NodeKind::kNot:
      return 3;
    default:
      return 4;
  }
}

void AppendNode(const std::vector<Node>& nodes, int index, std::string* out) {
  const Node& node = nodes[static_cast<size_t>(index)];
  auto append_child = [&](int child, int min_precedence) {
    bool parens = Precedence(nodes[static_cast<size_t>(child)].kind) < min_precedence;
    if (parens) *out += '(';
    AppendNode(nodes, child, out);
    if (parens) *out += ')';
  };
  switch (node.kind) {
    case NodeKind::kOr:
    case NodeKind::kAnd: {
      const bool is_or = node.kind == NodeKind::kOr;
      for (size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) *out += is_or ? " or " : " and ";
        append_child(node.children[i], is_or ? 2 : 3);
      }
      break;
    }
    case NodeKind::kNot:
      *out += "not ";
      append_child(node.children[0], 3);
      break;
    case NodeKind::kCompare:
      *out += FieldText(node.field);
      *out += ' ';
      *out += OpText(node.op);
      *out += ' ';
      *out += LiteralText(node.literals[0]);
      break;
    case NodeKind::kIn:
      *out += FieldText(node.field);
      *out += node.negated ? " not in (" : " in (";
      for (size_t i = 0; i < node.literals.size(); ++i) {
        if (i > 0) *out += ", ";
        *out += LiteralText(node.literals[i]);
      }
      *out += ')';
      break;
    case NodeKind::kIsNull:
      *out += FieldText(node.field);
      *out += node.negated ? " is not null" : " is null";
      break;
    case NodeKind::kBoolField:
      *out += FieldText(node.field);
      break;
  }
}

// ---- lexer ----

enum class TokenKind : uint8_t {
  kEnd,
  kWord,        // a dotted identifier or a keyword
  kQuotedName,  // "a field name"
  kString,      // 'a string'
  kNumber,
  kOp,  // = == != <> < <= > >=
  kLParen,
  kRParen,
  kComma,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t pos = 0;
  std::string text;  // kString and kQuotedName: the value; otherwise the source spelling
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string CharacterAt(std::string_view text, size_t pos) {
  size_t end = pos + 1;
  while (end < text.size() && IsContinuationByte(text[end])) ++end;
  return std::string(text.substr(pos, end - pos));
}

Result<std::vector<Token>> Lex(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  const size_t n = text.size();
  while (true) {
    while (i < n && IsSpace(text[i])) ++i;
    Token tok;
    tok.pos = i;
    if (i == n) {
      tokens.push_back(std::move(tok));
      return tokens;
    }
    const char c = text[i];
    if (IsNameStart(c)) {
      size_t j = i;
      while (true) {
        while (j < n && IsNameChar(text[j])) ++j;
        if (j < n && text[j] == '.') {
          if (j + 1 >= n || !IsNameStart(text[j + 1])) {
            return ErrorAt(text, j + 1, "expected a name after '.'");
          }
          ++j;
          continue;
        }
        break;
      }
      tok.kind = TokenKind::kWord;
      tok.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (c == '\'' || c == '"') {
      size_t j = i + 1;
      std::string value;
      while (true) {
        if (j >= n) {
          return ErrorAt(text, i,
                         c == '\'' ? "unterminated string: no closing '"
                                   : "unterminated field name: no closing \"");
        }
        if (text[j] == c) {
          if (j + 1 < n && text[j + 1] == c) {
            value += c;
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        value += text[j++];
      }
      if (c == '"' && value.empty()) return ErrorAt(text, i, "empty field name");
      tok.kind = c == '\'' ? TokenKind::kString : TokenKind::kQuotedName;
      tok.text = std::move(value);
      i = j;
    } else if (IsDigit(c) || (c == '-' && i + 1 < n && IsDigit(text[i + 1]))) {
      size_t j = i + 1;
      while (j < n && IsDigit(text[j])) ++j;
      if (j + 1 < n && text[j] == '.' && IsDigit(text[j + 1])) {
        j += 2;
        while (j < n && IsDigit(text[j])) ++j;
      }
      if (j < n && (text[j] == 'e' || text[j] == 'E')) {
        size_t k = j + 1;
        if (k < n && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < n && IsDigit(text[k])) {
          while (k < n && IsDigit(text[k])) ++k;
          j = k;
        }
      }
      if (j < n && (IsNameChar(text[j]) || text[j] == '.' || text[j] == '-' || text[j] == ':')) {
        size_t end = j;
        while (end < n && !IsSpace(text[end]) && text[end] != ')' && text[end] != ',') ++end;
        return ErrorAt(text, i,
                       "malformed number '" + std::string(text.substr(i, end - i)) +
                           "'; quote text and timestamps, as in '2021-06-01'");
      }
      tok.kind = TokenKind::kNumber;
      tok.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (c == '(' || c == ')' || c == ',') {
      tok.kind =
          c == '(' ? TokenKind::kLParen : (c == ')' ? TokenKind::kRParen : TokenKind::kComma);
      tok.text = std::string(1, c);
      ++i;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      const char next = i + 1 < n ? text[i + 1] : '\0';
      size_t len = 1;
      if (next == '=' || (c == '<' && next == '>')) len = 2;
      if (c == '!' && len == 1) return ErrorAt(text, i, "unexpected '!'; write != or not");
      tok.kind = TokenKind::kOp;
      tok.text = std::string(text.substr(i, len));
      i += len;
    } else {
      std::string what = "unexpected character '" + CharacterAt(text, i) + "'";
      if (c == '&') what += "; write 'and'";
      if (c == '|') what += "; write 'or'";
      return ErrorAt(text, i, what);
    }
    tokens.push_back(std::move(tok));
  }
}

// ---- parser ----

CompareOp OpFromText(std::string_view s) {
  if (s == "!=" || s == "<>") return CompareOp::kNe;
  if (s == "<") return CompareOp::kLt;
  if (s == "<=") return CompareOp::kLe;
  if (s == ">") return CompareOp::kGt;
  if (s == ">=") return CompareOp::kGe;
  return CompareOp::kEq;
}

// `literal op field` is `field op' literal`.
CompareOp Mirror(CompareOp op) {
  switch (op) {
    case CompareOp::kLt:
      return CompareOp::kGt;
    case CompareOp::kLe:
      return CompareOp::kGe;
    case CompareOp::kGt:
      return CompareOp::kLt;
    case CompareOp::kGe:
      return CompareOp::kLe;
    default:
      return op;
  }
}

// Microseconds of 0000-01-01T00:00:00Z and of 10000-01-01T00:00:00Z: timestamp literals
// must lie between, so that their canonical text parses back.
constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
constexpr int64_t kFirstMicros = -719528LL * kMicrosPerDay;
constexpr int64_t kEndMicros = 2932897LL * kMicrosPerDay;

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, std::vector<Node>* nodes)
      : text_(text), tokens_(std::move(tokens)), nodes_(nodes) {}

  // The whole text: an expression, then the end.
  Result<int> ParseAll() {
    CAIRN_ASSIGN_OR_RETURN(int root, ParseOr(0));
    const Token& tok = Peek();
    if (tok.kind != TokenKind::kEnd) {
      if (tok.kind == TokenKind::kRParen) return Error(tok, "unmatched ')'");
      return Error(tok, "expected 'and', 'or' or the end of the filter, found " + Describe(tok));
    }
    return root;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() {
    const Token& tok = tokens_[next_];
    if (next_ + 1 < tokens_.size()) ++next_;
    return tok;
  }
  static bool IsKeywordToken(const Token& tok, std::string_view keyword) {
    return tok.kind == TokenKind::kWord && tok.text.size() == keyword.size() &&
           Lower(tok.text) == keyword;
  }
  static bool IsFieldToken(const Token& tok) {
    return tok.kind == TokenKind::kQuotedName ||
           (tok.kind == TokenKind::kWord && !IsKeyword(tok.text));
  }
  static std::string Describe(const Token& tok) {
    switch (tok.kind) {
      case TokenKind::kEnd:
        return "the end of the filter";
      case TokenKind::kString:
        return "the string " + Quote(tok.text, '\'');
      case TokenKind::kQuotedName:
        return "the field " + Quote(tok.text, '"');
      default:
        return "'" + tok.text + "'";
    }
  }
  Status Error(const Token& tok, const std::string& what) const {
    return ErrorAt(text_, tok.pos, what);
  }
  Status Error(size_t pos, const std::string& what) const { return ErrorAt(text_, pos, what); }

  int Add(Node node) {
    nodes_->push_back(std::move(node));
    return static_cast<int>(nodes_->size() - 1);
  }

  // `a or b or c` and `a and b and c` become one node with every operand; an operand of the
  // same kind (from parentheses) is spliced in, so grouping does not change the tree.
  int AddJunction(NodeKind kind, const std::vector<int>& operands) {
    if (operands.size() == 1) return operands[0];
    Node node;
    node.kind = kind;
    for (int op : operands) {
      const Node& child = (*nodes_)[static_cast<size_t>(op)];
      if (child.kind == kind) {
        node.children.insert(node.children.end(), child.children.begin(), child.children.end());
      } else {
        node.children.push_back(op);
      }
    }
    return Add(std::move(node));
  }

  Result<int> ParseOr(int depth) {
    std::vector<int> operands;
    CAIRN_ASSIGN_OR_RETURN(int first, ParseAnd(depth));
    operands.push_back(first);
    while (IsKeywordToken(Peek(), "or")) {
      Take();
      CAIRN_ASSIGN_OR_RETURN(int next, ParseAnd(depth));
      operands.push_back(next);
    }
    return AddJunction(NodeKind::kOr, operands);
  }

  Result<int> ParseAnd(int depth) {
    std::vector<int> operands;
    CAIRN_ASSIGN_OR_RETURN(int first, ParseNot(depth));
    operands.push_back(first);
    while (IsKeywordToken(Peek(), "and")) {
      Take();
      CAIRN_ASSIGN_OR_RETURN(int next, ParseNot(depth));
      operands.push_back(next);
    }
    return AddJunction(NodeKind::kAnd, operands);
  }

  Result<int> ParseNot(int depth) {
    if (!IsKeywordToken(Peek(), "not")) return ParsePrimary(depth);
    const Token& tok = Take();
    if (depth >= kMaxDepth) return Error(tok, "filter nested too deeply");
    CAIRN_ASSIGN_OR_RETURN(int child, ParseNot(depth + 1));
    Node node;
    node.kind = NodeKind::kNot;
    node.children.push_back(child);
    return Add(std::move(node));
  }

  Result<int> ParsePrimary(int depth) {
    const Token& tok = Peek();
    if (tok.kind == TokenKind::kLParen) {
      if (depth >= kMaxDepth) return Error(tok, "filter nested too deeply");
      const size_t open_pos = tok.pos;
      Take();
      CAIRN_ASSIGN_OR_RETURN(int inner, ParseOr(depth + 1));
      if (Peek().kind != TokenKind::kRParen) {
        return Error(Peek(), "expected ')' to close the '(' at character " +
                                 std::to_string(CharacterNumber(text_, open_pos)) + ", found " +
                                 Describe(Peek()));
      }
      Take();
      return inner;
    }
    if (IsFieldToken(tok)) return ParseCondition();
    if (AtLiteral()) return ParseMirroredComparison();
    if (IsKeywordToken(tok, "null")) {
      return Error(tok, "null is not a value; write 'field is null' or 'field is not null'");
    }
    std::string what = "expected a condition";
    if (next_ > 0) what += " after '" + tokens_[next_ - 1].text + "'";
    return Error(tok, what + ", found " + Describe(tok));
  }

  bool AtLiteral() const {
    const Token& tok = Peek();
    return tok.kind == TokenKind::kString || tok.kind == TokenKind::kNumber ||
           IsKeywordToken(tok, "true") || IsKeywordToken(tok, "false") ||
           IsKeywordToken(tok, "timestamp");
  }

  // A literal where one is required, after `after` (an operator, '(' or ',').
  Result<Literal> ExpectLiteral(const std::string& after, const std::string& field) {
    const Token& tok = Peek();
    if (AtLiteral()) return ParseLiteral();
    if (IsKeywordToken(tok, "null")) {
      return Error(tok, "null is not a value; write '" + FieldText(field) + " is null' or '" +
                            FieldText(field) + " is not null'");
    }
    std::string what = "expected a literal after '" + after + "'";
    if (IsFieldToken(tok)) {
      what += ", found the name " + Describe(tok) + " (quote text, as in " + Quote(tok.text, '\'') +
              "; a field cannot be compared with another field)";
    } else {
      what += ", found " + Describe(tok);
    }
    return Error(tok, what);
  }

  Result<Literal> ParseLiteral() {
    const Token& tok = Take();
    Literal lit;
    lit.pos = tok.pos;
    if (tok.kind == TokenKind::kString) {
      lit.kind = LiteralKind::kString;
      lit.text = tok.text;
      return lit;
    }
    if (tok.kind == TokenKind::kNumber) {
      const char* begin = tok.text.data();
      const char* end = begin + tok.text.size();
      const bool integral = tok.text.find_first_of(".eE") == std::string::npos;
      if (integral) {
        int64_t v = 0;
        auto r = std::from_chars(begin, end, v);
        if (r.ec == std::errc() && r.ptr == end) {
          lit.kind = LiteralKind::kInt;
          lit.int_value = v;
          return lit;
        }
        // Too large for int64: read it as a float, as SQL does.
      }
      double d = 0;
      auto r = std::from_chars(begin, end, d);
      if (r.ec != std::errc() || r.ptr != end || !std::isfinite(d)) {
        return Error(tok, "number " + tok.text + " is out of range");
      }
      lit.kind = LiteralKind::kFloat;
      lit.float_value = d;
      return lit;
    }
    if (IsKeywordToken(tok, "true") || IsKeywordToken(tok, "false")) {
      lit.kind = LiteralKind::kBool;
      lit.int_value = IsKeywordToken(tok, "true") ? 1 : 0;
      return lit;
    }
    // timestamp '...'
    const Token& str = Peek();
    if (str.kind != TokenKind::kString) {
      return Error(str,
                   "expected a quoted timestamp after 'timestamp', as in timestamp "
                   "'2021-06-01T12:00:00Z'");
    }
    Take();
    std::optional<int64_t> micros = ParseTimestampMicros(str.text);
    if (!micros) {
      return Error(str, "cannot read " + Quote(str.text, '\'') +
                            " as a timestamp; write ISO 8601, as in '2021-06-01T12:00:00Z'");
    }
    if (*micros < kFirstMicros || *micros >= kEndMicros) {
      return Error(
          str, "timestamp " + Quote(str.text, '\'') + " is outside the years 0000 to 9999 (UTC)");
    }
    lit.kind = LiteralKind::kTimestamp;
    lit.int_value = *micros;
    return lit;
  }

  // After a field: an operator and a literal, [not] in (...), is [not] null, or nothing (a
  // bool field on its own).
  Result<int> ParseCondition() {
    const Token& field_tok = Take();
    Node node;
    node.field = field_tok.text;
    node.field_pos = field_tok.pos;
    const Token& tok = Peek();
    if (tok.kind == TokenKind::kOp) {
      const std::string op_text = tok.text;
      Take();
      node.kind = NodeKind::kCompare;
      node.op = OpFromText(op_text);
      CAIRN_ASSIGN_OR_RETURN(Literal lit, ExpectLiteral(op_text, node.field));
      node.literals.push_back(std::move(lit));
      return Add(std::move(node));
    }
    if (IsKeywordToken(tok, "not")) {
      Take();
      if (!IsKeywordToken(Peek(), "in")) {
        return Error(Peek(), "expected 'in' after 'not' (for a null test write '" +
                                 FieldText(node.field) + " is not null')");
      }
      node.negated = true;
    }
    if (IsKeywordToken(Peek(), "in")) {
      Take();
      node.kind = NodeKind::kIn;
      if (Peek().kind != TokenKind::kLParen) {
        return Error(Peek(), "expected '(' after 'in', found " + Describe(Peek()));
      }
      Take();
      std::string after = "(";
      while (true) {
        if (IsKeywordToken(Peek(), "null")) {
          return Error(Peek(), "null cannot be in an 'in' list; add 'or " + FieldText(node.field) +
                                   " is null'");
        }
        CAIRN_ASSIGN_OR_RETURN(Literal lit, ExpectLiteral(after, node.field));
        node.literals.push_back(std::move(lit));
        if (Peek().kind == TokenKind::kComma) {
          Take();
          after = ",";
          continue;
        }
        if (Peek().kind == TokenKind::kRParen) {
          Take();
          break;
        }
        return Error(Peek(), "expected ',' or ')' in the 'in' list, found " + Describe(Peek()));
      }
      return Add(std::move(node));
    }
    if (IsKeywordToken(tok, "is")) {
      Take();
      node.kind = NodeKind::kIsNull;
      if (IsKeywordToken(Peek(), "not")) {
        Take();
        node.negated = true;
      }
      if (!IsKeywordToken(Peek(), "null")) {
        return Error(Peek(), std::string("expected 'null' after ") +
                                 (node.negated ? "'is not'" : "'is'") + ", found " +
                                 Describe(Peek()));
      }
      Take();
      return Add(std::move(node));
    }
    if (tok.kind == TokenKind::kEnd || tok.kind == TokenKind::kRParen ||
        IsKeywordToken(tok, "and") || IsKeywordToken(tok, "or")) {
      node.kind = NodeKind::kBoolField;
      return Add(std::move(node));
    }
    return Error(tok, "expected an operator after " + Quote(node.field, '\'') +
                          " (= != < <= > >= in, not in, is null, is not null), found " +
                          Describe(tok));
  }

  // literal op field
  Result<int> ParseMirroredComparison() {
    CAIRN_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
    const Token& op_tok = Peek();
    if (op_tok.kind != TokenKind::kOp) {
      return Error(op_tok,
                   "expected a comparison operator after the literal, found " + Describe(op_tok));
    }
    const std::string op_text = op_tok.text;
    Take();
    const Token& field_tok = Peek();
    if (!IsFieldToken(field_tok)) {
      return Error(field_tok,
                   "expected a field after '" + op_text + "', found " + Describe(field_tok));
    }
    Take();
    Node node;
    node.kind = NodeKind::kCompare;
    node.field = field_tok.text;
    node.field_pos = field_tok.pos;
    node.op = Mirror(OpFromText(op_text));
    node.literals.push_back(std::move(lit));
    return Add(std::move(node));
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  std::vector<Node>* nodes_;
};

// ---- literal conversion ----

// A literal converted to a column's representation. kExact: `value` is the literal.
// kBetween: the literal lies strictly between `value` and the next representable value.
// kAbove / kBelow: the literal is greater / less than every value of the column.
struct Converted {
  enum class Kind : uint8_t { kExact, kBetween, kAbove, kBelow };
  Kind kind = Kind::kExact;
  int64_t int_value = 0;
  double float_value = 0;
  std::string string_value;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::string LiteralDescription(const Literal& lit) {
  switch (lit.kind) {
    case LiteralKind::kString:
      return LiteralText(lit) + " (a string)";
    case LiteralKind::kInt:
    case LiteralKind::kFloat:
      return LiteralText(lit) + " (a number)";
    case LiteralKind::kBool:
      return LiteralText(lit) + " (a bool)";
    case LiteralKind::kTimestamp:
      return LiteralText(lit) + " (a timestamp)";
  }
  return LiteralText(lit);
}

Result<Converted> Convert(std::string_view text, const Node& node, const DataType& type,
                          const Literal& lit) {
  Converted out;
  auto mismatch = [&]() {
    return ErrorAt(text, lit.pos,
                   "cannot compare field " + Quote(node.field, '\'') + " (" + type.ToString() +
                       ") with " + LiteralDescription(lit));
  };
  // 2^63, the first double above every int64.
  constexpr double kTwo63 = 9223372036854775808.0;
  switch (type.kind) {
    case TypeKind::kInt64:
      if (lit.kind == LiteralKind::kInt) {
        out.int_value = lit.int_value;
        return out;
      }
      if (lit.kind == LiteralKind::kFloat) {
        const double d = lit.float_value;
        if (d >= kTwo63) {
          out.kind = Converted::Kind::kAbove;
        } else if (d < -kTwo63) {
          out.kind = Converted::Kind::kBelow;
        } else {
          const double f = std::floor(d);
          out.int_value = static_cast<int64_t>(f);
          out.kind = f == d ? Converted::Kind::kExact : Converted::Kind::kBetween;
        }
        return out;
      }
      return mismatch();
    case TypeKind::kFloat64:
      if (lit.kind == LiteralKind::kFloat) {
        out.float_value = lit.float_value;
        return out;
      }
      if (lit.kind == LiteralKind::kInt) {
        // The nearest double may lie on either side of an integer beyond 2^53; keep the one
        // below and say the literal lies above it.
        const int64_t i = lit.int_value;
        const double d = static_cast<double>(i);
        const double below = std::nextafter(d, -std::numeric_limits<double>::infinity());
        if (d >= kTwo63) {
          out.kind = Converted::Kind::kBetween;
          out.float_value = below;
        } else if (const auto back = static_cast<int64_t>(d); back > i) {
          out.kind = Converted::Kind::kBetween;
          out.float_value = below;
        } else {
          out.kind = back == i ? Converted::Kind::kExact : Converted::Kind::kBetween;
          out.float_value = d;
        }
        return out;
      }
      return mismatch();
    case TypeKind::kBool:
      if (lit.kind != LiteralKind::kBool) return mismatch();
      out.int_value = lit.int_value;
      return out;
    case TypeKind::kString:
      if (lit.kind != LiteralKind::kString) return mismatch();
      out.string_value = lit.text;
      return out;
    case TypeKind::kTimestamp: {
      int64_t micros = 0;
      if (lit.kind == LiteralKind::kTimestamp) {
        micros = lit.int_value;
      } else if (lit.kind == LiteralKind::kString) {
        std::optional<int64_t> parsed = ParseTimestampMicros(lit.text);
        if (!parsed) {
          return ErrorAt(text, lit.pos,
                         "cannot read " + Quote(lit.text, '\'') + " as a timestamp for field " +
                             Quote(node.field, '\'') + " (" + type.ToString() +
                             "); write ISO 8601, as in '2021-06-01T12:00:00Z'");
        }
        micros = *parsed;
      } else {
        return mismatch();
      }
      switch (type.unit) {
        case TimeUnit::kMicro:
          out.int_value = micros;
          break;
        case TimeUnit::kMilli:
          out.int_value = FloorDiv(micros, 1000);
          if (out.int_value * 1000 != micros) out.kind = Converted::Kind::kBetween;
          break;
        case TimeUnit::kNano:
          if (micros > std::numeric_limits<int64_t>::max() / 1000) {
            out.kind = Converted::Kind::kAbove;
          } else if (micros < std::numeric_limits<int64_t>::min() / 1000) {
            out.kind = Converted::Kind::kBelow;
          } else {
            out.int_value = micros * 1000;
          }
          break;
      }
      return out;
    }
  }
  return Status::Internal("filter: unhandled column type");
}

// Binds `field op literal`, turning a literal that no column value can equal into a simpler
// comparison or a constant.
Result<BoundNode> BindCompare(std::string_view text, const Node& node, int column,
                              const DataType& type) {
  BoundNode bound;
  bound.column = column;
  bound.kind = type.kind;
  bound.op = node.op;
  CAIRN_ASSIGN_OR_RETURN(Converted value, Convert(text, node, type, node.literals[0]));
  bound.int_value = value.int_value;
  bound.float_value = value.float_value;
  bound.string_value = std::move(value.string_value);
  auto constant = [&](bool truth) {
    bound.mode = BoundMode::kConst;
    bound.const_truth = truth ? kTrue : kFalse;
  };
  switch (value.kind) {
    case Converted::Kind::kExact:
      break;
    case Converted::Kind::kAbove:
      constant(table::OpMatches(node.op, -1));
      break;
    case Converted::Kind::kBelow:
      constant(table::OpMatches(node.op, 1));
      break;
    case Converted::Kind::kBetween:
      // value < literal < next value: x < literal iff x <= value, x > literal iff x > value.
      switch (node.op) {
        case CompareOp::kEq:
          constant(false);
          break;
        case CompareOp::kNe:
          constant(true);
          break;
        case CompareOp::kLt:
        case CompareOp::kLe:
          bound.op = CompareOp::kLe;
          break;
        case CompareOp::kGt:
        case CompareOp::kGe:
          bound.op = CompareOp::kGt;
          break;
      }
      break;
  }
  return bound;
}

Result<BoundNode> BindIn(std::string_view text, const Node& node, int column,
                         const DataType& type) {
  BoundNode bound;
  bound.column = column;
  bound.kind = type.kind;
  for (const Literal& lit : node.literals) {
    CAIRN_ASSIGN_OR_RETURN(Converted value, Convert(text, node, type, lit));
    // A literal between two column values or beyond them equals no value.
    if (value.kind != Converted::Kind::kExact) continue;
    switch (type.kind) {
      case TypeKind::kFloat64:
        bound.float_set.push_back(value.float_value);
        break;
      case TypeKind::kString:
        bound.string_set.push_back(std::move(value.string_value));
        break;
      default:
        bound.int_set.push_back(value.int_value);
        break;
    }
  }
  auto sort_unique = [](auto& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  sort_unique(bound.int_set);
  sort_unique(bound.float_set);
  sort_unique(bound.string_set);
  return bound;
}

// ---- evaluation kernels: each writes kTrue or kFalse for rows [0, n) ----

template <typename T, typename Pred>
void FillTruth(const T* values, int64_t n, uint8_t* out, Pred pred) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(pred(values[i]) ? kTrue : kFalse);
}

template <typename T>
void CompareIntegers(const T* v, int64_t n, CompareOp op, T lit, uint8_t* out) {
  switch (op) {
    case CompareOp::kEq:
      FillTruth(v, n, out, [lit](T x) { return x == lit; });
      break;
    case CompareOp::kNe:
      FillTruth(v, n, out, [lit](T x) { return x != lit; });
      break;
    case CompareOp::kLt:
      FillTruth(v, n, out, [lit](T x) { return x < lit; });
      break;
    case CompareOp::kLe:
      FillTruth(v, n, out, [lit](T x) { return x <= lit; });
      break;
    case CompareOp::kGt:
      FillTruth(v, n, out, [lit](T x) { return x > lit; });
      break;
    case CompareOp::kGe:
      FillTruth(v, n, out, [lit](T x) { return x >= lit; });
      break;
  }
}

// NaN compares above every number (table::CompareToScalar); the literal is never NaN.
void CompareFloats(const double* v, int64_t n, CompareOp op, double lit, uint8_t* out) {
  switch (op) {
    case CompareOp::kEq:
      FillTruth(v, n, out, [lit](double x) { return x == lit; });
      break;
    case CompareOp::kNe:
      FillTruth(v, n, out, [lit](double x) { return x != lit; });
      break;
    case CompareOp::kLt:
      FillTruth(v, n, out, [lit](double x) { return x < lit; });
      break;
    case CompareOp::kLe:
      FillTruth(v, n, out, [lit](double x) { return x <= lit; });
      break;
    case CompareOp::kGt:
      FillTruth(v, n, out, [lit](double x) { return x > lit || x != x; });
      break;
    case CompareOp::kGe:
      FillTruth(v, n, out, [lit](double x) { return x >= lit || x != x; });
      break;
  }
}

void CompareStrings(const table::Column& col, int64_t begin, int64_t n, CompareOp op,
                    std::string_view lit, uint8_t* out) {
  const int64_t* offsets = col.offsets().data() + begin;
  const char* chars = col.chars().data();
  if (op == CompareOp::kEq || op == CompareOp::kNe) {
    const auto len = static_cast<int64_t>(lit.size());
    const uint8_t hit = op == CompareOp::kEq ? kTrue : kFalse;
    const uint8_t miss = op == CompareOp::kEq ? kFalse : kTrue;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t b = offsets[i];
      const bool equal = offsets[i + 1] - b == len &&
                         (len == 0 || std::memcmp(chars + b, lit.data(), lit.size()) == 0);
      out[i] = equal ? hit : miss;
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const auto b = static_cast<size_t>(offsets[i]);
    const auto e = static_cast<size_t>(offsets[i + 1]);
    const int c = std::string_view(chars + b, e - b).compare(lit);
    out[i] = table::OpMatches(op, c) ? kTrue : kFalse;
  }
}

// Lists up to this long are matched by a pass per literal, longer ones by binary search.
constexpr size_t kLinearSetSize = 8;

template <typename T>
void MatchSet(const T* v, int64_t n, const std::vector<T>& set, uint8_t* out) {
  if (set.size() <= kLinearSetSize) {
    std::memset(out, kFalse, static_cast<size_t>(n));
    for (const T lit : set) {
      for (int64_t i = 0; i < n; ++i)
        out[i] = static_cast<uint8_t>(out[i] | (v[i] == lit ? kTrue : kFalse));
    }
    return;
  }
  FillTruth(v, n, out, [&set](T x) {
    // x == x keeps NaN out of the search, where it would look equal to everything.
    return x == x && std::binary_search(set.begin(), set.end(), x);
  });
}

void MatchStringSet(const table::Column& col, int64_t begin, int64_t n,
                    const std::vector<std::string>& set, uint8_t* out) {
  const int64_t* offsets = col.offsets().data() + begin;
  const char* chars = col.chars().data();
  const bool linear = set.size() <= kLinearSetSize;
  for (int64_t i = 0; i < n; ++i) {
    const auto b = static_cast<size_t>(offsets[i]);
    const auto e = static_cast<size_t>(offsets[i + 1]);
    const std::string_view s(chars + b, e - b);
    bool found = false;
    if (linear) {
      for (const std::string& lit : set) found = found || s == lit;
    } else {
      found = std::binary_search(set.begin(), set.end(), s, std::less<>());
    }
    out[i] = found ? kTrue : kFalse;
  }
}

// Rows whose value is null are unknown, whatever the comparison said.
void ApplyNulls(const table::Column& col, int64_t begin, int64_t n, uint8_t* out) {
  if (col.validity().empty()) return;
  const uint8_t* valid = col.validity().data() + begin;
  for (int64_t i = 0; i < n; ++i) out[i] = valid[i] != 0 ? out[i] : kUnknown;
}

bool LiteralEquals(const Literal& a, const Literal& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case LiteralKind::kString:
      return a.text == b.text;
    case LiteralKind::kFloat:
      return std::bit_cast<uint64_t>(a.float_value) == std::bit_cast<uint64_t>(b.float_value);
    default:
      return a.int_value == b.int_value;
  }
}

bool NodeEquals(const std::vector<Node>& a, int ai, const std::vector<Node>& b, int bi) {
  const Node& x = a[static_cast<size_t>(ai)];
  const Node& y = b[static_cast<size_t>(bi)];
  if (x.kind != y.kind || x.field != y.field || x.op != y.op || x.negated != y.negated ||
      x.children.size() != y.children.size() || x.literals.size() != y.literals.size()) {
    return false;
  }
  for (size_t i = 0; i < x.literals.size(); ++i) {
    if (!LiteralEquals(x.literals[i], y.literals[i])) return false;
  }
  for (size_t i = 0; i < x.children.size(); ++i) {
    if (!NodeEquals(a, x.children[i], b, y.children[i])) return false;
  }
  return true;
}

// Leaves in source order.
void CollectLeaves(const std::vector<Node>& nodes, int index, std::vector<int>* out) {
  const Node& node = nodes[static_cast<size_t>(index)];
  if (node.children.empty()) {
    out->push_back(index);
    return;
  }
  for (int child : node.children) CollectLeaves(nodes, child, out);
}

int TreeDepth(const std::vector<Node>& nodes, int index) {
  int depth = 0;
  for (int child : nodes[static_cast<size_t>(index)].children) {
    depth = std::max(depth, TreeDepth(nodes, child));
  }
  return depth + 1;
}

FilterNode TreeOf(const std::vector<Node>& nodes, int index) {
  const Node& node = nodes[static_cast<size_t>(index)];
  FilterNode out;
  out.kind = static_cast<FilterNode::Kind>(node.kind);
  for (int child : node.children) out.children.push_back(TreeOf(nodes, child));
  out.field = node.field;
  out.op = static_cast<FilterNode::Op>(node.op);
  out.negated = node.negated;
  for (const Literal& lit : node.literals) {
    out.literals.push_back(
        {static_cast<FilterLiteral::Kind>(lit.kind), lit.text, lit.int_value, lit.float_value});
  }
  return out;
}

}  // namespace

struct FilterExpr::Impl {
  std::string text;  // the source, for error messages
  std::vector<Node> nodes;
  int root = -1;
  // Set by Bind.
  bool bound = false;
  table::Schema schema;
  std::vector<BoundNode> bound_nodes;  // parallel to nodes; leaves only
  int depth = 0;

  // Evaluates node `index` for rows [begin, begin + n) into out[0, n); scratch[d] is a
  // buffer of kBatchRows bytes for the operands at tree depth d.
  void Eval(const table::Table& t, int index, int depth_now, int64_t begin, int64_t n,
            std::vector<std::vector<uint8_t>>* scratch, uint8_t* out) const;
};

void FilterExpr::Impl::Eval(const table::Table& t, int index, int depth_now, int64_t begin,
                            int64_t n, std::vector<std::vector<uint8_t>>* scratch,
                            uint8_t* out) const {
  const Node& node = nodes[static_cast<size_t>(index)];
  switch (node.kind) {
    case NodeKind::kOr:
    case NodeKind::kAnd: {
      Eval(t, node.children[0], depth_now + 1, begin, n, scratch, out);
      uint8_t* tmp = (*scratch)[static_cast<size_t>(depth_now)].data();
      const bool is_or = node.kind == NodeKind::kOr;
      for (size_t c = 1; c < node.children.size(); ++c) {
        Eval(t, node.children[c], depth_now + 1, begin, n, scratch, tmp);
        if (is_or) {
          for (int64_t i = 0; i < n; ++i) out[i] = std::max(out[i], tmp[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) out[i] = std::min(out[i], tmp[i]);
        }
      }
      return;
    }
    case NodeKind::kNot:
      Eval(t, node.children[0], depth_now + 1, begin, n, scratch, out);
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(kTrue - out[i]);
      return;
    default:
      break;
  }
  const BoundNode& bn = bound_nodes[static_cast<size_t>(index)];
  const table::Column& col = t.column(bn.column);
  switch (node.kind) {
    case NodeKind::kIsNull: {
      const uint8_t when_null = node.negated ? kFalse : kTrue;
      const uint8_t when_valid = node.negated ? kTrue : kFalse;
      if (col.validity().empty()) {
        std::memset(out, when_valid, static_cast<size_t>(n));
      } else {
        const uint8_t* valid = col.validity().data() + begin;
        for (int64_t i = 0; i < n; ++i) out[i] = valid[i] != 0 ? when_valid : when_null;
      }
      return;
    }
    case NodeKind::kBoolField:
      CompareIntegers<uint8_t>(col.bools().data() + begin, n, CompareOp::kEq, 1, out);
      break;
    case NodeKind::kCompare:
      if (bn.mode == BoundMode::kConst) {
        std::memset(out, bn.const_truth, static_cast<size_t>(n));
        break;
      }
      switch (bn.kind) {
        case TypeKind::kInt64:
        case TypeKind::kTimestamp:
          CompareIntegers(col.ints().data() + begin, n, bn.op, bn.int_value, out);
          break;
        case TypeKind::kBool:
          CompareIntegers(col.bools().data() + begin, n, bn.op, static_cast<uint8_t>(bn.int_value),
                          out);
          break;
        case TypeKind::kFloat64:
          CompareFloats(col.doubles().data() + begin, n, bn.op, bn.float_value, out);
          break;
        case TypeKind::kString:
          CompareStrings(col, begin, n, bn.op, bn.string_value, out);
          break;
      }
      break;
    case NodeKind::kIn: {
      switch (bn.kind) {
        case TypeKind::kInt64:
        case TypeKind::kTimestamp:
          MatchSet(col.ints().data() + begin, n, bn.int_set, out);
          break;
        case TypeKind::kBool: {
          std::vector<uint8_t> set;
          set.reserve(bn.int_set.size());
          for (int64_t v : bn.int_set) set.push_back(static_cast<uint8_t>(v));
          MatchSet(col.bools().data() + begin, n, set, out);
          break;
        }
        case TypeKind::kFloat64:
          MatchSet(col.doubles().data() + begin, n, bn.float_set, out);
          break;
        case TypeKind::kString:
          MatchStringSet(col, begin, n, bn.string_set, out);
          break;
      }
      if (node.negated) {
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(kTrue - out[i]);
      }
      break;
    }
    default:
      break;
  }
  ApplyNulls(col, begin, n, out);
}

FilterExpr::FilterExpr() : impl_(std::make_unique<Impl>()) {}
FilterExpr::~FilterExpr() = default;
FilterExpr::FilterExpr(const FilterExpr& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
FilterExpr& FilterExpr::operator=(const FilterExpr& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
// A moved-from expression is left empty and unbound rather than without an Impl, so every
// method stays valid on it.
FilterExpr::FilterExpr(FilterExpr&& other) noexcept
    : impl_(std::exchange(other.impl_, std::make_unique<Impl>())) {}
FilterExpr& FilterExpr::operator=(FilterExpr&& other) noexcept {
  if (this != &other) impl_ = std::exchange(other.impl_, std::make_unique<Impl>());
  return *this;
}

Result<FilterExpr> FilterExpr::Parse(std::string_view text) {
  FilterExpr expr;
  expr.impl_->text = std::string(text);
  CAIRN_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text));
  if (tokens.size() == 1) return expr;  // only the end: the empty expression
  Parser parser(text, std::move(tokens), &expr.impl_->nodes);
  CAIRN_ASSIGN_OR_RETURN(expr.impl_->root, parser.ParseAll());
  return expr;
}

std::vector<std::string> FilterExpr::Fields() const {
  std::set<std::string> names;
  if (impl_->root >= 0) {
    std::vector<int> leaves;
    CollectLeaves(impl_->nodes, impl_->root, &leaves);
    for (int leaf : leaves) names.insert(impl_->nodes[static_cast<size_t>(leaf)].field);
  }
  return {names.begin(), names.end()};
}

FilterNode FilterExpr::Tree() const {
  if (impl_->root < 0) {
    FilterNode empty;
    empty.kind = FilterNode::Kind::kAnd;
    return empty;
  }
  return TreeOf(impl_->nodes, impl_->root);
}

Status FilterExpr::Bind(const table::Schema& schema) {
  Impl& impl = *impl_;
  impl.bound = false;
  impl.bound_nodes.clear();
  std::vector<BoundNode> bound(impl.nodes.size());
  std::vector<int> leaves;
  if (impl.root >= 0) CollectLeaves(impl.nodes, impl.root, &leaves);
  for (int leaf : leaves) {
    const Node& node = impl.nodes[static_cast<size_t>(leaf)];
    const int column = schema.FieldIndex(node.field);
    if (column < 0) {
      std::string known;
      for (const table::Field& f : schema.fields()) {
        if (!known.empty()) known += ", ";
        known += f.name;
      }
      return Status::NotFound("filter: unknown field " + Quote(node.field, '\'') +
                              " (at character " +
                              std::to_string(CharacterNumber(impl.text, node.field_pos)) +
                              "); known fields: " + (known.empty() ? "(none)" : known));
    }
  }
  for (int leaf : leaves) {
    const Node& node = impl.nodes[static_cast<size_t>(leaf)];
    const int column = schema.FieldIndex(node.field);
    const DataType& type = schema.field(column).type;
    BoundNode& out = bound[static_cast<size_t>(leaf)];
    switch (node.kind) {
      case NodeKind::kCompare: {
        CAIRN_ASSIGN_OR_RETURN(out, BindCompare(impl.text, node, column, type));
        break;
      }
      case NodeKind::kIn: {
        CAIRN_ASSIGN_OR_RETURN(out, BindIn(impl.text, node, column, type));
        break;
      }
      case NodeKind::kBoolField:
        if (type.kind != TypeKind::kBool) {
          return ErrorAt(impl.text, node.field_pos,
                         "field " + Quote(node.field, '\'') + " (" + type.ToString() +
                             ") is not a bool, so it cannot be a condition on its own; compare "
                             "it with a value");
        }
        out.column = column;
        out.kind = type.kind;
        break;
      default:
        out.column = column;
        out.kind = type.kind;
        break;
    }
  }
  impl.schema = schema;
  impl.bound_nodes = std::move(bound);
  impl.depth = impl.root >= 0 ? TreeDepth(impl.nodes, impl.root) : 0;
  impl.bound = true;
  return Status::Ok();
}

Status FilterExpr::Evaluate(const table::Table& table, std::vector<uint8_t>* mask) const {
  const Impl& impl = *impl_;
  if (!impl.bound) {
    return Status::InvalidArgument("filter: Evaluate called before Bind");
  }
  const table::Schema& schema = table.schema();
  bool same = schema.num_fields() == impl.schema.num_fields();
  for (int i = 0; same && i < schema.num_fields(); ++i) {
    same = schema.field(i).name == impl.schema.field(i).name &&
           schema.field(i).type == impl.schema.field(i).type;
  }
  if (!same) {
    return Status::InvalidArgument(
        "filter: the table's fields differ from those the filter was bound to");
  }
  const int64_t rows = table.num_rows();
  if (impl.root < 0) {
    mask->assign(static_cast<size_t>(rows), 1);
    return Status::Ok();
  }
  mask->assign(static_cast<size_t>(rows), 0);
  std::vector<std::vector<uint8_t>> scratch(static_cast<size_t>(impl.depth + 1),
                                            std::vector<uint8_t>(kBatchRows));
  std::vector<uint8_t> truth(kBatchRows);
  uint8_t* m = mask->data();
  for (int64_t begin = 0; begin < rows; begin += kBatchRows) {
    const int64_t n = std::min(kBatchRows, rows - begin);
    impl.Eval(table, impl.root, 0, begin, n, &scratch, truth.data());
    for (int64_t i = 0; i < n; ++i) m[begin + i] = truth[static_cast<size_t>(i)] == kTrue ? 1 : 0;
  }
  return Status::Ok();
}

std::string FilterExpr::ToString() const {
  std::string out;
  if (impl_->root >= 0) AppendNode(impl_->nodes, impl_->root, &out);
  return out;
}

bool FilterExpr::empty() const { return impl_->root < 0; }

bool FilterExpr::operator==(const FilterExpr& other) const {
  if (impl_->root < 0 || other.impl_->root < 0) return impl_->root < 0 && other.impl_->root < 0;
  return NodeEquals(impl_->nodes, impl_->root, other.impl_->nodes, other.impl_->root);
}

}  // namespace cairn::data
