// libFuzzer target: any bytes given to Evaluation::DeserializeState are a state or an error,
// never a crash; a state that loads must finish (to a result or an error) and serialize back.
// The input is tried as a whole state file and as the body of one (wrapped in a valid header
// and zstd frame here), so mutations reach the body parser past the frame checksum.

#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/evaluation.h"

namespace {

std::string Wrap(std::string_view body) {
  std::string out = "CAIRNEVALSTATE\n";
  uint32_t version = 1;
  uint64_t size = body.size();
  out.append(reinterpret_cast<const char*>(&version), sizeof(version));  // NOLINT
  out.append(reinterpret_cast<const char*>(&size), sizeof(size));        // NOLINT
  size_t bound = ZSTD_compressBound(body.size());
  size_t start = out.size();
  out.resize(start + bound);
  size_t n = ZSTD_compress(out.data() + start, bound, body.data(), body.size(), 1);
  out.resize(start + (ZSTD_isError(n) != 0 ? 0 : n));
  return out;
}

void Try(std::string_view bytes) {
  auto eval =
      cairn::metrics::Evaluation::DeserializeState(bytes, cairn::metrics::BuiltinMetrics(), "fuzz");
  if (!eval.ok()) return;
  (void)eval->Finish();
  (void)eval->SerializeState();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);  // NOLINT
  Try(bytes);
  Try(Wrap(bytes));
  return 0;
}
