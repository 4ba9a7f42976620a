// libFuzzer target: any bytes must parse to a YAML document or to an error, never crash or
// hang; every node of a parsed document has a position, distinct map keys, and typed
// accessors that return a value or an error.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "base/yaml.h"

namespace {

void Walk(const cairn::YamlNode& node) {
  if (node.line() < 1 || node.column() < 1) __builtin_trap();
  (void)node.AsString();
  (void)node.AsInt64();
  (void)node.AsDouble(true);
  (void)node.AsBool();
  (void)node.Require("a");
  (void)node.CheckKeys({"a", "b"});
  std::set<std::string> keys;
  for (const cairn::YamlEntry& entry : node.entries()) {
    if (!keys.insert(entry.key.text()).second) __builtin_trap();
    if (node.Get(entry.key.text()) == nullptr) __builtin_trap();
    Walk(entry.value);
  }
  for (const cairn::YamlNode& item : node.items()) Walk(item);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = cairn::ParseYaml(text, "fuzz.yaml");
  if (!doc.ok()) {
    if (doc.status().message().rfind("fuzz.yaml:", 0) != 0) __builtin_trap();
    return 0;
  }
  Walk(doc->root);
  return 0;
}
