// libFuzzer target: any text must parse to formulas or to an error, never crash or hang. The
// input holds up to four formulas separated by ';' (named a, b, c, d, so they can refer to
// each other); a parsed set is evaluated over made-up metric values, and every result must be
// a finite number or null with a reason.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/formula.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> formulas;
  while (formulas.size() < 4) {
    size_t semicolon = text.find(';');
    formulas.emplace_back(std::string(1, static_cast<char>('a' + formulas.size())),
                          std::string(text.substr(0, semicolon)));
    if (semicolon == std::string_view::npos) break;
    text.remove_prefix(semicolon + 1);
  }
  auto set = cairn::metrics::ParseFormulas(std::move(formulas));
  if (!set.ok()) {
    if (set.status().message().rfind("formula", 0) != 0) __builtin_trap();
    return 0;
  }
  // A value for every key: a number, a count, zero or null, chosen by the key's length.
  std::vector<cairn::metrics::MetricValue> values = {
      cairn::metrics::MetricValue::Number(0.5), cairn::metrics::MetricValue::Count(0),
      cairn::metrics::MetricValue::Number(-2), cairn::metrics::MetricValue::Null("undefined: x"),
      cairn::metrics::MetricValue::Number(1e300)};
  auto lookup = [&](const std::string& key) { return &values[key.size() % values.size()]; };
  auto results = set->Evaluate(lookup);
  if (!results.ok()) __builtin_trap();
  for (const auto& [name, value] : *results) {
    if (value.kind == cairn::metrics::MetricValue::Kind::kNumber && !std::isfinite(value.number)) {
      __builtin_trap();
    }
    if (value.kind == cairn::metrics::MetricValue::Kind::kNull && value.reason.empty()) {
      __builtin_trap();
    }
  }
  return 0;
}
