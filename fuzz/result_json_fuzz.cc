// libFuzzer target: reading an evaluation result must return an error or a result for any
// input, never crash; a result that was read must write back to JSON that reads back to the
// same JSON, and must render as a long table and an HTML report.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "metrics/report.h"
#include "metrics/result_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto result = cairn::metrics::EvaluationResultFromJson(bytes, "fuzz.json");
  if (!result.ok()) return 0;
  std::string json = cairn::metrics::EvaluationResultToJson(*result);
  auto again = cairn::metrics::EvaluationResultFromJson(json, "again.json");
  if (!again.ok() || cairn::metrics::EvaluationResultToJson(*again) != json) std::abort();
  (void)cairn::metrics::EvaluationResultToLongTable(*result);
  (void)cairn::metrics::RenderHtmlReport(*result, {});
  return 0;
}
