#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

/// Length of the valid UTF-8 sequence that starts at s[i] (1 to 4), or 0 if the bytes there
/// are not valid UTF-8 (overlong forms, surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i);

/// Appends `s` as a quoted JSON string to `out`: quotes, backslashes and control characters
/// escaped, each byte that is not valid UTF-8 replaced by U+FFFD, so the result is always
/// valid JSON.
void AppendJsonString(std::string_view s, std::string* out);

/// `s` as a quoted JSON string (see AppendJsonString).
std::string JsonString(std::string_view s);

}  // namespace cairn
