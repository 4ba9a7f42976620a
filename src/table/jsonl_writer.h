#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/file.h"
#include "table/io.h"

namespace cairn::table {

/// A TableWriter for JSON Lines that also counts the values it could not write faithfully.
/// Not thread-safe (like every TableWriter); Write may use options.num_threads internally.
class JsonlWriter : public TableWriter {
 public:
  /// NaN and ±infinity float64 values written so far; JSON has no spelling for them, so
  /// they were written as null.
  virtual int64_t non_finite_count() const = 0;
  /// String values written so far that were not valid UTF-8; each invalid byte sequence
  /// was written as U+FFFD.
  virtual int64_t invalid_utf8_count() const = 0;
};

/// Creates a JSON Lines writer over `file` (takes ownership; Close closes the file).
/// Errors: kInvalidArgument if two fields of `schema` share a name.
Result<std::unique_ptr<JsonlWriter>> MakeJsonlWriter(std::unique_ptr<WritableFile> file,
                                                     const Schema& schema,
                                                     const WriteOptions& options);

/// Appends `s` to `*out` as a quoted JSON string (RFC 8259): `"` and `\` are escaped,
/// \b \f \n \r \t use their short escapes and other control characters \u00XX. Valid UTF-8
/// is copied through; each invalid byte sequence becomes \ufffd. Returns false if any
/// replacement was made. Thread-safe (no shared state).
bool AppendJsonString(std::string_view s, std::string* out);

}  // namespace cairn::table
