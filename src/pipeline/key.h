#pragma once

// Stage keys: a stage's key is the SHA-256 of a canonical list of everything its result
// depends on (docs/pipelines.md). The list is recorded with every stage run, so that a later
// key can be compared with it item by item to say what changed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn::pipeline {

/// One thing a stage's key depends on.
struct KeyInput {
  /// "cairn-version", "cmd", "cairn", "shards", "reduce", "state", "param", "dep", "out" or
  /// "upstream".
  std::string kind;
  /// The param key, dep or out path, upstream stage or state name; empty for the others.
  std::string name;
  /// The value: a command's text after templating, a param's canonical value, a content hash
  /// ("missing" for an absent path), an upstream stage's key.
  std::string value;

  friend bool operator==(const KeyInput& a, const KeyInput& b) = default;
};

/// `s` with backslash, tab, newline and carriage return written as \\ \t \n \r, so that it
/// fits in one tab-separated field.
std::string EscapeField(std::string_view s);
/// The inverse of EscapeField; kCorrupt for an unknown or dangling escape.
Result<std::string> UnescapeField(std::string_view s);

/// The canonical text of `inputs`: one line "KIND\tNAME\tVALUE\n" per input, in the given
/// order, with backslash, tab, newline and carriage return escaped as \\ \t \n \r.
std::string InputsText(const std::vector<KeyInput>& inputs);

/// The inverse of InputsText. kCorrupt for a malformed line.
Result<std::vector<KeyInput>> ParseInputsText(std::string_view text);

/// The stage key: lowercase hex SHA-256 of InputsText(inputs).
std::string StageKey(const std::vector<KeyInput>& inputs);

/// What differs from `before` to `now`, in words, one item per difference, in the order of
/// `now` (then removed items): "cmd", "param train.lr", "input data/raw", "upstream prepare",
/// "outputs", "cairn version", "state dataset digits", "removed input old.csv".
std::vector<std::string> DescribeChanges(const std::vector<KeyInput>& before,
                                         const std::vector<KeyInput>& now);

/// A time window [start, end), microseconds since the epoch, UTC.
struct Window {
  int64_t start = 0;
  int64_t end = 0;
};

/// `text` with ${start_time} and ${end_time} replaced by the window's bounds in ISO 8601 UTC
/// (`2024-05-01T00:00:00Z`). Other ${...} are left for the shell. kInvalidArgument naming
/// `where` when the text mentions the window and none was given.
Result<std::string> ApplyWindow(std::string_view text, const std::optional<Window>& window,
                                std::string_view where);

}  // namespace cairn::pipeline
