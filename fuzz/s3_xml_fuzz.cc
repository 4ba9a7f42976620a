// libFuzzer target: the S3 XML extractors must return an error or a value for any server
// answer, never crash, hang or read out of bounds.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/s3_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto page = cairn::store::ParseListObjectsV2(bytes);
  if (page.ok() && page->is_truncated && page->next_continuation_token.empty()) __builtin_trap();
  (void)cairn::store::ParseS3Error(bytes);
  return 0;
}
