#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "metrics/metric.h"

namespace cairn::metrics {

/// Finds the value of a metric output by its key (`recall[car]`, `fbeta_macro(beta=0.5)`);
/// returns nullptr if there is no such output. The pointer must stay valid during the call
/// to FormulaSet::Evaluate that uses it.
using MetricLookup = std::function<const MetricValue*(const std::string& key)>;

/// Metrics defined as arithmetic over other metric outputs (see "Formula metrics" in
/// docs/metrics.md):
///
///   f2:      5 * precision_macro * recall_macro / (4 * precision_macro + recall_macro)
///   car_gap: recall[car] - recall[bus]
///   f_half:  fbeta_macro(beta=0.5)
///   rmse:    sqrt(mse)
///
/// A set is made by ParseFormulas: every formula parsed, references to other formulas
/// resolved, cycles rejected, and an evaluation order fixed. Immutable; thread-safe to use.
class FormulaSet {
 public:
  FormulaSet() = default;

  /// The formula names, in definition order.
  std::vector<std::string> Names() const;
  /// The metric keys the formulas read that are not formulas themselves, in canonical form
  /// (MetricSpec::Key(): parameters sorted, numbers in shortest form), each once, in order of
  /// first appearance. These are what an evaluation must compute for the formulas.
  const std::vector<std::string>& References() const { return references_; }

  /// Computes every formula from the metric outputs `lookup` finds (and from formulas computed
  /// before it), returning (name, value) in definition order. Each value is a number, or null
  /// with a reason, never NaN or infinite:
  ///   - an input that is null: "undefined: recall[bus] is null (no rows)";
  ///   - a division by zero: "undefined: division by zero";
  ///   - sqrt of a negative number, log of 0 or of a negative number, pow of a negative number
  ///     to a non-integer power, or an overflow: "undefined: ..." naming it.
  /// The first undefined operand (left to right) gives the reason. Errors (kInvalidArgument):
  /// a referenced key that `lookup` does not find, or whose value is a matrix or curve.
  Result<std::vector<std::pair<std::string, MetricValue>>> Evaluate(
      const MetricLookup& lookup) const;

 private:
  friend class FormulaParser;
  friend Result<FormulaSet> ParseFormulas(
      std::vector<std::pair<std::string, std::string>> name_and_text);

  // One step of a formula compiled to postfix order, run on a stack of values.
  enum class OpCode : uint8_t {
    kNumber,   // push `number`
    kMetric,   // push the value of references_[index]
    kFormula,  // push the value of formulas_[index]
    kNeg,
    kAdd,
    kSub,
    kMul,
    kDiv,
    kSqrt,
    kLog,
    kExp,
    kAbs,
    kPow,
    kMin,  // over the top `argc` values
    kMax,
  };
  struct Op {
    OpCode code = OpCode::kNumber;
    double number = 0;
    size_t index = 0;
    size_t argc = 0;
  };
  struct Formula {
    std::string name;
    std::string text;
    std::vector<Op> program;
  };

  std::vector<Formula> formulas_;        // definition order
  std::vector<size_t> order_;            // evaluation order: each formula after its inputs
  std::vector<std::string> references_;  // metric keys, indexed by kMetric ops
};

/// Parses formulas given as (name, text) pairs, in definition order. Grammar:
///
///   expr    := term { ("+" | "-") term }
///   term    := unary { ("*" | "/") unary }
///   unary   := ("-" | "+") unary | primary
///   primary := NUMBER | "(" expr ")" | FUNC "(" expr { "," expr } ")" | REF
///   REF     := NAME [ "(" PARAM "=" NUMBER { "," PARAM "=" NUMBER } ")" ] [ "[" CLASS "]" ]
///
/// FUNC is one of sqrt, log (natural), exp, abs, pow (2 arguments), min, max (1 or more).
/// A NAME followed by "(" is a parameterised metric if the parenthesis starts with
/// `PARAM =`, else a function call. CLASS is any text without "]" (spaces included). A REF
/// without parameters and class that names a formula refers to that formula; any other REF
/// is a metric output key. Errors (kInvalidArgument): a syntax error
/// ("formula 'f2': unexpected ')' at column 14", then the text and a caret under the
/// column), an unknown function or wrong argument count, a name that is not a NAME, is a
/// function name or is defined twice, and a cycle ("formula 'a' -> 'b' -> 'a' is a cycle").
Result<FormulaSet> ParseFormulas(std::vector<std::pair<std::string, std::string>> name_and_text);

}  // namespace cairn::metrics
