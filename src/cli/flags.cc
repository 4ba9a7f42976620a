#include "cli/flags.h"

#include <algorithm>
#include <charconv>

namespace cairn::cli {
namespace {

const FlagSpec* FindLong(const std::vector<FlagSpec>& specs, std::string_view name) {
  for (const FlagSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const FlagSpec* FindShort(const std::vector<FlagSpec>& specs, char c) {
  for (const FlagSpec& s : specs) {
    if (s.short_name != 0 && s.short_name == c) return &s;
  }
  return nullptr;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

const std::vector<std::string>& ParsedArgs::GetAll(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(std::string(name));
  return it == values_.end() ? kNone : it->second;
}

Result<ParsedArgs> ParseFlags(const std::vector<FlagSpec>& specs,
                              const std::vector<std::string>& args) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) out.AddPositional(args[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.AddPositional(arg);
      continue;
    }
    const FlagSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    std::string shown;  // the flag as the user wrote it, for messages
    if (arg[1] == '-') {
      std::string_view body = std::string_view(arg).substr(2);
      size_t eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      if (eq != std::string_view::npos) inline_value = std::string(body.substr(eq + 1));
      shown = "--" + std::string(name);
      spec = FindLong(specs, name);
    } else {
      shown = arg.substr(0, 2);
      spec = FindShort(specs, arg[1]);
      if (arg.size() > 2) inline_value = arg.substr(2);
    }
    if (spec == nullptr) return Status::InvalidArgument("unknown flag '" + shown + "'");
    if (!spec->takes_value) {
      if (inline_value) {
        return Status::InvalidArgument("flag '" + shown + "' takes no value");
      }
      out.Add(spec->name, "");
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return Status::InvalidArgument("flag '" + shown + "' needs a value (" + spec->value_name +
                                       ")");
      }
      inline_value = args[++i];
    }
    out.Add(spec->name, std::move(*inline_value));
  }
  return out;
}

Result<int64_t> ParseIntFlag(std::string_view name, std::string_view value, int64_t min,
                             int64_t max) {
  int64_t v = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), v);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size() || value.empty() || v < min ||
      v > max) {
    return Status::InvalidArgument("--" + std::string(name) + ": expected an integer from " +
                                   std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                                   std::string(value) + "'");
  }
  return v;
}

Result<char> ParseCharFlag(std::string_view name, std::string_view value) {
  if (value == "\\t" || value == "\t" || value == "tab") return '\t';
  if (value.size() != 1 || value[0] == '\n' || value[0] == '\r') {
    return Status::InvalidArgument("--" + std::string(name) +
                                   ": expected one character (or \\t), got '" + std::string(value) +
                                   "'");
  }
  return value[0];
}

Result<std::vector<std::string>> SplitList(std::string_view name, std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = value.find(',', start);
    std::string_view part = Trim(value.substr(start, comma - start));
    if (part.empty()) {
      return Status::InvalidArgument("--" + std::string(name) + ": empty name in list '" +
                                     std::string(value) + "'");
    }
    out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string FormatFlagHelp(const std::vector<FlagSpec>& specs) {
  std::vector<std::string> lefts;
  size_t width = 0;
  for (const FlagSpec& s : specs) {
    std::string left = s.short_name != 0 ? std::string("-") + s.short_name + ", " : "    ";
    left += "--" + s.name;
    if (s.takes_value) left += " " + s.value_name;
    width = std::max(width, left.size());
    lefts.push_back(std::move(left));
  }
  std::string out;
  for (size_t i = 0; i < specs.size(); ++i) {
    out += "  " + lefts[i];
    out.append(width - lefts[i].size() + 2, ' ');
    out += specs[i].help;
    if (specs[i].repeatable) out += " (repeatable)";
    out += '\n';
  }
  return out;
}

}  // namespace cairn::cli
