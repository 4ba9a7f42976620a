#include "metrics/formula.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cairn::metrics {
namespace {

using Outputs = std::map<std::string, MetricValue>;

MetricLookup LookupIn(const Outputs& outputs) {
  return [&outputs](const std::string& key) -> const MetricValue* {
    auto it = outputs.find(key);
    return it == outputs.end() ? nullptr : &it->second;
  };
}

FormulaSet MustParse(std::vector<std::pair<std::string, std::string>> formulas) {
  Result<FormulaSet> set = ParseFormulas(std::move(formulas));
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return set.ok() ? std::move(set).value() : FormulaSet();
}

// The value of the single formula `text` over `outputs`.
MetricValue EvalOne(const std::string& text, const Outputs& outputs = {}) {
  FormulaSet set = MustParse({{"x", text}});
  auto values = set.Evaluate(LookupIn(outputs));
  EXPECT_TRUE(values.ok()) << text << ": " << values.status().ToString();
  if (!values.ok() || values->size() != 1) return MetricValue::Null("test: no value");
  return (*values)[0].second;
}

double Number(const std::string& text, const Outputs& outputs = {}) {
  MetricValue v = EvalOne(text, outputs);
  EXPECT_EQ(v.kind, MetricValue::Kind::kNumber) << text << ": " << v.reason;
  return v.number;
}

std::string NullReason(const std::string& text, const Outputs& outputs = {}) {
  MetricValue v = EvalOne(text, outputs);
  EXPECT_EQ(v.kind, MetricValue::Kind::kNull) << text << " = " << v.number;
  return v.reason;
}

std::string ParseError(const std::string& text) {
  Result<FormulaSet> set = ParseFormulas({{"x", text}});
  EXPECT_FALSE(set.ok()) << text;
  if (set.ok()) return "";
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  return set.status().message();
}

// The first line of an error (without the text and caret lines).
std::string FirstLine(const std::string& message) { return message.substr(0, message.find('\n')); }

TEST(FormulaTest, ArithmeticAndPrecedence) {
  EXPECT_EQ(Number("1 + 2 * 3"), 7.0);
  EXPECT_EQ(Number("(1 + 2) * 3"), 9.0);
  EXPECT_EQ(Number("2 - 3 - 4"), -5.0);  // left to right
  EXPECT_EQ(Number("8 / 4 / 2"), 1.0);
  EXPECT_EQ(Number("2 * 3 / 4"), 1.5);
  EXPECT_EQ(Number("-2 * 3"), -6.0);
  EXPECT_EQ(Number("2 * -3"), -6.0);
  EXPECT_EQ(Number("- -2"), 2.0);
  EXPECT_EQ(Number("+2 - -+1"), 3.0);
  EXPECT_EQ(Number("10 - 2 * 3 + 8 / 2"), 8.0);
  EXPECT_EQ(Number("1e3 + .5 + 2. + 2.5E-1"), 1002.75);
  EXPECT_EQ(Number("  ((7))  "), 7.0);
  EXPECT_EQ(Number("1\n+\t2"), 3.0);
}

TEST(FormulaTest, Functions) {
  EXPECT_EQ(Number("sqrt(16)"), 4.0);
  EXPECT_EQ(Number("log(1)"), 0.0);
  EXPECT_EQ(Number("exp(0)"), 1.0);
  EXPECT_NEAR(Number("log(exp(2))"), 2.0, 1e-15);
  EXPECT_NEAR(Number("exp(1)"), 2.718281828459045, 1e-15);
  EXPECT_EQ(Number("abs(-3)"), 3.0);
  EXPECT_EQ(Number("abs(3)"), 3.0);
  EXPECT_EQ(Number("pow(2, 10)"), 1024.0);
  EXPECT_EQ(Number("pow(-2, 3)"), -8.0);
  EXPECT_EQ(Number("pow(4, 0.5)"), 2.0);
  EXPECT_EQ(Number("min(3, 1, 2)"), 1.0);
  EXPECT_EQ(Number("max(3, 1, 2)"), 3.0);
  EXPECT_EQ(Number("min(5)"), 5.0);
  EXPECT_EQ(Number("max(-1, -2) * 2"), -2.0);
  EXPECT_EQ(Number("sqrt(pow(3, 2) + pow(4, 2))"), 5.0);
}

TEST(FormulaTest, F2FromPrecisionAndRecallByHand) {
  // F2 = 5PR / (4P + R); P = 1/2, R = 1/4: (5/8) / (9/4) = 5/18.
  Outputs outputs = {{"precision_macro", MetricValue::Number(0.5)},
                     {"recall_macro", MetricValue::Number(0.25)}};
  EXPECT_DOUBLE_EQ(
      Number("5 * precision_macro * recall_macro / (4 * precision_macro + recall_macro)", outputs),
      5.0 / 18.0);
}

TEST(FormulaTest, ReferencesWithParametersAndClasses) {
  FormulaSet set = MustParse({
      {"car_gap", "recall[car] - recall[bus]"},
      {"f_half", "fbeta_macro(beta=0.5)"},
      {"light", "fbeta( beta = 2.0 )[traffic light] + recall[car]"},
      {"sorted", "m(z=1, a=-2.50) * m(a=-2.5,z=1e0)"},
      {"odd", "support[a (b), c]"},
  });
  EXPECT_EQ(set.Names(), (std::vector<std::string>{"car_gap", "f_half", "light", "sorted", "odd"}));
  // Canonical keys, each once, in order of first appearance; the same keys ParseMetricSpec
  // gives for the request syntax.
  std::vector<std::string> expected = {"recall[car]",           "recall[bus]",
                                       "fbeta_macro(beta=0.5)", "fbeta(beta=2)[traffic light]",
                                       "m(a=-2.5,z=1)",         "support[a (b), c]"};
  EXPECT_EQ(set.References(), expected);
  EXPECT_EQ(ParseMetricSpec("fbeta(beta=2.0)[traffic light]")->Key(), expected[3]);
  EXPECT_EQ(ParseMetricSpec("m(z=1,a=-2.50)")->Key(), expected[4]);

  Outputs outputs = {{"recall[car]", MetricValue::Number(0.75)},
                     {"recall[bus]", MetricValue::Number(0.5)},
                     {"fbeta_macro(beta=0.5)", MetricValue::Number(0.625)},
                     {"fbeta(beta=2)[traffic light]", MetricValue::Number(0.125)},
                     {"m(a=-2.5,z=1)", MetricValue::Number(3)},
                     {"support[a (b), c]", MetricValue::Count(7)}};
  auto values = set.Evaluate(LookupIn(outputs));
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  ASSERT_EQ(values->size(), 5u);
  EXPECT_EQ((*values)[0], std::make_pair(std::string("car_gap"), MetricValue::Number(0.25)));
  EXPECT_EQ((*values)[1], std::make_pair(std::string("f_half"), MetricValue::Number(0.625)));
  EXPECT_EQ((*values)[2], std::make_pair(std::string("light"), MetricValue::Number(0.875)));
  EXPECT_EQ((*values)[3], std::make_pair(std::string("sorted"), MetricValue::Number(9)));
  EXPECT_EQ((*values)[4], std::make_pair(std::string("odd"), MetricValue::Number(7)));
}

TEST(FormulaTest, FunctionNamesWithParametersAreMetrics) {
  // `max(k=3)` is a metric called max with a parameter, not the function.
  FormulaSet set = MustParse({{"x", "max(k=3) + max(1, 2)"}});
  EXPECT_EQ(set.References(), std::vector<std::string>{"max(k=3)"});
  Outputs outputs = {{"max(k=3)", MetricValue::Number(0.5)}};
  auto values = set.Evaluate(LookupIn(outputs));
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)[0].second, MetricValue::Number(2.5));
}

TEST(FormulaTest, FormulasReferToFormulasInAnyOrder) {
  FormulaSet set = MustParse({{"c", "b * 2"}, {"b", "a + x"}, {"a", "x * 10"}, {"d", "x"}});
  EXPECT_EQ(set.References(), std::vector<std::string>{"x"});
  Outputs outputs = {{"x", MetricValue::Number(0.5)}};
  auto values = set.Evaluate(LookupIn(outputs));
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  // a = 5, b = 5.5, c = 11; results come back in definition order.
  ASSERT_EQ(values->size(), 4u);
  EXPECT_EQ((*values)[0], std::make_pair(std::string("c"), MetricValue::Number(11)));
  EXPECT_EQ((*values)[1], std::make_pair(std::string("b"), MetricValue::Number(5.5)));
  EXPECT_EQ((*values)[2], std::make_pair(std::string("a"), MetricValue::Number(5)));
  EXPECT_EQ((*values)[3], std::make_pair(std::string("d"), MetricValue::Number(0.5)));
  // With a class or parameters, a formula's name is a metric key again.
  FormulaSet other = MustParse({{"a", "1"}, {"b", "a[car] + a"}});
  EXPECT_EQ(other.References(), std::vector<std::string>{"a[car]"});
}

TEST(FormulaTest, CyclesAreNamed) {
  EXPECT_EQ(ParseFormulas({{"a", "b + 1"}, {"b", "a * 2"}}).status().message(),
            "formula 'a' -> 'b' -> 'a' is a cycle");
  EXPECT_EQ(ParseFormulas({{"a", "a + 1"}}).status().message(), "formula 'a' -> 'a' is a cycle");
  EXPECT_EQ(ParseFormulas({{"a", "b"}, {"b", "c + x"}, {"c", "1 + b"}}).status().message(),
            "formula 'b' -> 'c' -> 'b' is a cycle");
}

TEST(FormulaTest, NameErrors) {
  EXPECT_EQ(ParseFormulas({{"a", "1"}, {"a", "2"}}).status().message(),
            "formula 'a' is defined twice");
  EXPECT_EQ(ParseFormulas({{"2x", "1"}}).status().message(),
            "formula name '2x' is not a name (letters, digits and _, not starting with a digit)");
  EXPECT_FALSE(ParseFormulas({{"", "1"}}).ok());
  EXPECT_FALSE(ParseFormulas({{"a b", "1"}}).ok());
  EXPECT_EQ(ParseFormulas({{"sqrt", "1"}}).status().message(),
            "formula name 'sqrt' is a function name");
}

TEST(FormulaTest, SyntaxErrorsPointAtTheColumn) {
  EXPECT_EQ(ParseError("sqrt(mse) + )"),
            "formula 'x': unexpected ')' at column 13\n"
            "  sqrt(mse) + )\n"
            "              ^");
  // Columns count characters, not bytes.
  EXPECT_EQ(ParseError("recall[caf\xc3\xa9] + )"),
            "formula 'x': unexpected ')' at column 16\n"
            "  recall[caf\xc3\xa9] + )\n"
            "                 ^");
  // Line breaks are shown as spaces so that the caret lines up.
  EXPECT_EQ(ParseError("a +\n* b"),
            "formula 'x': unexpected '*' at column 5\n"
            "  a + * b\n"
            "      ^");
  EXPECT_EQ(FirstLine(ParseError("")), "formula 'x': unexpected end of formula at column 1");
  EXPECT_EQ(FirstLine(ParseError("1 +")), "formula 'x': unexpected end of formula at column 4");
  EXPECT_EQ(FirstLine(ParseError("2 3")), "formula 'x': unexpected '3' at column 3");
  EXPECT_EQ(FirstLine(ParseError("a $ b")), "formula 'x': unexpected '$' at column 3");
  EXPECT_EQ(FirstLine(ParseError("a > b")), "formula 'x': unexpected '>' at column 3");
  EXPECT_EQ(FirstLine(ParseError("(1 + 2")),
            "formula 'x': expected ')' to close the '(' at column 1, found end of formula at "
            "column 7");
  EXPECT_EQ(FirstLine(ParseError("min(1, 2")),
            "formula 'x': expected ')' to close the '(' at column 4, found end of formula at "
            "column 9");
  EXPECT_EQ(FirstLine(ParseError("recall[car")),
            "formula 'x': missing ']' to close this '[' at column 7");
  EXPECT_EQ(FirstLine(ParseError("recall[]")), "formula 'x': empty class name in '[]' at column 7");
  EXPECT_EQ(FirstLine(ParseError("1.5e + 2")),
            "formula 'x': expected digits in the exponent of '1.5e' at column 4");
  EXPECT_EQ(FirstLine(ParseError("1e999")),
            "formula 'x': number '1e999' is out of range at column 1");
  EXPECT_EQ(FirstLine(ParseError("m(beta=x)")),
            "formula 'x': expected a number for parameter 'beta', found 'x' at column 8");
  EXPECT_EQ(FirstLine(ParseError("m(beta=1, beta=2)")),
            "formula 'x': parameter 'beta' given twice at column 11");
  EXPECT_EQ(FirstLine(ParseError("m(beta=1 gamma=2)")),
            "formula 'x': expected ')' to close the '(' at column 2, found 'g' at column 10");
  EXPECT_EQ(FirstLine(ParseError("m(beta=1,)")),
            "formula 'x': expected a parameter NAME=NUMBER, found ')' at column 10");
  EXPECT_EQ(FirstLine(ParseError("sqrt(x)[car]")), "formula 'x': unexpected '[' at column 8");
  EXPECT_EQ(FirstLine(ParseError(std::string(150, '(') + "1")),
            "formula 'x': formula nested too deeply at column 101");
  EXPECT_EQ(FirstLine(ParseError(std::string(150, '-') + "1")),
            "formula 'x': formula nested too deeply at column 101");
}

TEST(FormulaTest, UnknownFunctionsAndArgumentCounts) {
  EXPECT_EQ(FirstLine(ParseError("2 * foo(recall)")),
            "formula 'x': unknown function 'foo' (functions: sqrt, log, exp, abs, pow, min, max; "
            "a metric's parameters are written NAME=NUMBER) at column 5");
  EXPECT_EQ(FirstLine(ParseError("sqrt(1, 2)")),
            "formula 'x': sqrt takes 1 argument, got 2 at column 1");
  EXPECT_EQ(FirstLine(ParseError("1 + pow(2)")),
            "formula 'x': pow takes 2 arguments, got 1 at column 5");
  EXPECT_EQ(FirstLine(ParseError("max()")),
            "formula 'x': max takes at least 1 argument, got 0 at column 1");
}

TEST(FormulaTest, NullInputsPropagateWithTheirReason) {
  Outputs outputs = {
      {"recall[car]", MetricValue::Number(0.5)},
      {"recall[bus]", MetricValue::Null("undefined: no rows")},
      {"kappa", MetricValue::Null("undefined: all labels and predictions are one class")},
      {"odd", MetricValue::Null("")}};
  EXPECT_EQ(NullReason("recall[car] - recall[bus]", outputs),
            "undefined: recall[bus] is null (no rows)");
  EXPECT_EQ(NullReason("sqrt(recall[bus])", outputs), "undefined: recall[bus] is null (no rows)");
  EXPECT_EQ(NullReason("max(1, recall[bus], 3)", outputs),
            "undefined: recall[bus] is null (no rows)");
  // The leftmost undefined operand gives the reason.
  EXPECT_EQ(NullReason("kappa + recall[bus]", outputs),
            "undefined: kappa is null (all labels and predictions are one class)");
  EXPECT_EQ(NullReason("1 / 0 + recall[bus]", outputs), "undefined: division by zero");
  EXPECT_EQ(NullReason("recall[bus] + 1 / 0", outputs), "undefined: recall[bus] is null (no rows)");
  EXPECT_EQ(NullReason("odd * 0", outputs), "undefined: odd is null");

  // Through a formula that is null.
  FormulaSet set = MustParse({{"gap", "recall[car] - recall[bus]"}, {"twice", "2 * gap"}});
  auto values = set.Evaluate(LookupIn(outputs));
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)[1].second,
            MetricValue::Null("undefined: gap is null (recall[bus] is null (no rows))"));
}

TEST(FormulaTest, UndefinedArithmeticIsNullNeverNan) {
  Outputs outputs = {{"zero", MetricValue::Count(0)}, {"p", MetricValue::Number(0.25)}};
  EXPECT_EQ(NullReason("p / zero", outputs), "undefined: division by zero");
  EXPECT_EQ(NullReason("0 / 0"), "undefined: division by zero");
  EXPECT_EQ(NullReason("sqrt(p - 0.5)", outputs), "undefined: sqrt of a negative number (-0.25)");
  EXPECT_EQ(NullReason("log(zero)", outputs), "undefined: log of 0");
  EXPECT_EQ(NullReason("log(-2)"), "undefined: log of a negative number (-2)");
  EXPECT_EQ(NullReason("exp(1000)"), "undefined: overflow in exp");
  EXPECT_EQ(NullReason("1e300 * 1e300"), "undefined: overflow in '*'");
  EXPECT_EQ(NullReason("-1e308 - 1e308"), "undefined: overflow in '-'");
  EXPECT_EQ(NullReason("1e308 + 1e308"), "undefined: overflow in '+'");
  EXPECT_EQ(NullReason("1e300 / 1e-300"), "undefined: overflow in '/'");
  EXPECT_EQ(NullReason("pow(10, 400)"), "undefined: overflow in pow");
  EXPECT_EQ(NullReason("pow(-8, 1/3)"),
            "undefined: pow of a negative number to a non-integer power");
  EXPECT_EQ(NullReason("pow(0, -1)"), "undefined: division by zero (pow of 0 to a negative power)");
  // Defined edge cases.
  EXPECT_EQ(Number("sqrt(0)"), 0.0);
  EXPECT_EQ(Number("pow(0, 0)"), 1.0);
  EXPECT_EQ(Number("zero / p", outputs), 0.0);
  // -0 is reported as 0.
  MetricValue negated_zero = EvalOne("-zero", outputs);
  EXPECT_EQ(negated_zero, MetricValue::Number(0.0));
  EXPECT_FALSE(std::signbit(negated_zero.number));
}

TEST(FormulaTest, CountsAreNumbers) {
  Outputs outputs = {{"support[car]", MetricValue::Count(3)}};
  EXPECT_EQ(Number("support[car] / 2", outputs), 1.5);
}

TEST(FormulaTest, MissingOrNonNumericReferencesAreErrors) {
  Outputs outputs = {{"confusion_matrix", MetricValue::Matrix({{1, 0}, {0, 1}})},
                     {"pr_curve", MetricValue::Curve({{"recall", {1.0}}})}};
  FormulaSet missing = MustParse({{"gap", "recall[car] - recall[bus]"}});
  EXPECT_EQ(missing.Evaluate(LookupIn(outputs)).status().message(),
            "formula 'gap': metric 'recall[car]' has no value (it was not computed)");
  FormulaSet matrix = MustParse({{"m", "confusion_matrix + 1"}});
  EXPECT_EQ(matrix.Evaluate(LookupIn(outputs)).status().message(),
            "formula 'm': 'confusion_matrix' is a matrix, not a number");
  FormulaSet curve = MustParse({{"c", "2 * pr_curve"}});
  EXPECT_EQ(curve.Evaluate(LookupIn(outputs)).status().message(),
            "formula 'c': 'pr_curve' is a curve, not a number");
}

TEST(FormulaTest, EmptySet) {
  FormulaSet set = MustParse({});
  EXPECT_TRUE(set.References().empty());
  auto values = set.Evaluate(LookupIn({}));
  ASSERT_TRUE(values.ok());
  EXPECT_TRUE(values->empty());
}

}  // namespace
}  // namespace cairn::metrics
