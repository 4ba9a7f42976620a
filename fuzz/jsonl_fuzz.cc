// libFuzzer target: the jsonl reader must return an error or a table for any input, never
// crash, hang or read out of bounds.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/file.h"
#include "table/jsonl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  cairn::table::ReadOptions options;
  options.num_threads = 1;
  options.batch_rows = 64;
  auto reader =
      cairn::table::OpenJsonlReader(cairn::MemorySequentialFile(bytes, "fuzz.jsonl"), options);
  if (!reader.ok()) return 0;
  cairn::table::Table batch;
  for (int i = 0; i < 100000; ++i) {
    auto more = (*reader)->Next(&batch);
    if (!more.ok() || !*more) break;
  }
  return 0;
}
