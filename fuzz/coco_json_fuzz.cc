// libFuzzer target: the COCO JSON loaders must return an error or a value for any input,
// never crash, hang or read out of bounds; inputs that load are evaluated as well. The input
// is a ground truth document, a NUL byte, then a detections document (either may be
// malformed); without a NUL byte the whole input is tried as both.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "metrics/coco.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t nul = bytes.find('\0');
  std::string_view gt_json = bytes.substr(0, nul);
  std::string_view dt_json = nul == std::string_view::npos ? bytes : bytes.substr(nul + 1);
  auto gt = cairn::metrics::ParseCocoGroundTruth(gt_json, "fuzz-gt.json");
  auto dt = cairn::metrics::ParseCocoDetections(dt_json, "fuzz-dt.json");
  if (!gt.ok() || !dt.ok()) return 0;
  cairn::metrics::CocoEvalOptions options;
  options.num_threads = 1;
  auto result = cairn::metrics::EvaluateCocoBoxes(*gt, *dt, options);
  if (result.ok()) {
    (void)cairn::metrics::CocoSummaryText(*result);
    (void)cairn::metrics::CocoResultToJson(*result);
  }
  return 0;
}
