#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn::cli {

/// One flag a command accepts.
struct FlagSpec {
  std::string name;          // long name without dashes: "delimiter" for --delimiter
  char short_name = 0;       // 'n' for -n; 0 when there is none
  bool takes_value = false;  // false: a switch (--no-header)
  bool repeatable = false;   // true: every occurrence is kept (--where a --where b)
  std::string value_name;    // shown in help: "N", "C", "COL=TYPE"
  std::string help;          // one line
};

/// The flags and positional arguments of one command line.
class ParsedArgs {
 public:
  /// True if the flag (long name) was given at least once.
  bool Has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  /// The last value given for the flag, or nullopt.
  std::optional<std::string> Get(std::string_view name) const;
  /// Every value given for the flag, in order (empty if never given).
  const std::vector<std::string>& GetAll(std::string_view name) const;
  /// Arguments that are not flags, in order ("-" counts as one; so does all after "--").
  const std::vector<std::string>& positionals() const { return positionals_; }

  void Add(const std::string& name, std::string value) {
    values_[name].push_back(std::move(value));
  }
  void AddPositional(std::string arg) { positionals_.push_back(std::move(arg)); }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

/// Parses `args` against `specs`. Accepted forms: `--name value`, `--name=value`, `-n value`,
/// `-nvalue`, `--switch`; `--` ends the flags; a lone `-` is a positional argument. A flag that
/// is not repeatable keeps its last value. Errors (kInvalidArgument, message naming the flag):
/// unknown flag, missing value, a value given to a switch.
Result<ParsedArgs> ParseFlags(const std::vector<FlagSpec>& specs,
                              const std::vector<std::string>& args);

/// Parses the value of flag `name` as an integer in [min, max]; kInvalidArgument otherwise
/// ("--threads: expected an integer from 0 to 1024, got 'x'").
Result<int64_t> ParseIntFlag(std::string_view name, std::string_view value, int64_t min,
                             int64_t max);

/// Parses a one-character delimiter: a single byte, or `\t` / `tab` for a tab.
Result<char> ParseCharFlag(std::string_view name, std::string_view value);

/// Splits "a,b,c" on commas, trimming spaces around each part; empty parts are an error.
Result<std::vector<std::string>> SplitList(std::string_view name, std::string_view value);

/// Help lines for `specs`, one per flag, aligned: "  -n, --rows N   rows to show".
std::string FormatFlagHelp(const std::vector<FlagSpec>& specs);

}  // namespace cairn::cli
