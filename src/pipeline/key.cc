#include "pipeline/key.h"

#include <map>
#include <set>
#include <utility>

#include "base/hash.h"
#include "base/time.h"

namespace cairn::pipeline {

namespace {

void AppendEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        *out += c;
    }
  }
}

}  // namespace

std::string EscapeField(std::string_view s) {
  std::string out;
  AppendEscaped(s, &out);
  return out;
}

Result<std::string> UnescapeField(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) return Status::Corrupt("stage inputs: dangling backslash");
    switch (s[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return Status::Corrupt("stage inputs: unknown escape");
    }
  }
  return out;
}

namespace {

std::string Describe(const KeyInput& in) {
  if (in.kind == "cmd" || in.kind == "cairn") return "cmd";
  if (in.kind == "cairn-version") return "cairn version";
  if (in.kind == "dep") return "input " + in.name;
  if (in.kind == "out") return "outputs";
  return in.name.empty() ? in.kind : in.kind + " " + in.name;
}

std::string FormatBound(int64_t micros) { return FormatTimestamp(micros, 6); }

}  // namespace

std::string InputsText(const std::vector<KeyInput>& inputs) {
  std::string out;
  for (const KeyInput& in : inputs) {
    AppendEscaped(in.kind, &out);
    out += '\t';
    AppendEscaped(in.name, &out);
    out += '\t';
    AppendEscaped(in.value, &out);
    out += '\n';
  }
  return out;
}

Result<std::vector<KeyInput>> ParseInputsText(std::string_view text) {
  std::vector<KeyInput> inputs;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) return Status::Corrupt("stage inputs: unterminated line");
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos) return Status::Corrupt("stage inputs: malformed line");
    KeyInput in;
    CAIRN_ASSIGN_OR_RETURN(in.kind, UnescapeField(line.substr(0, t1)));
    CAIRN_ASSIGN_OR_RETURN(in.name, UnescapeField(line.substr(t1 + 1, t2 - t1 - 1)));
    CAIRN_ASSIGN_OR_RETURN(in.value, UnescapeField(line.substr(t2 + 1)));
    inputs.push_back(std::move(in));
  }
  return inputs;
}

std::string StageKey(const std::vector<KeyInput>& inputs) { return Sha256Hex(InputsText(inputs)); }

std::vector<std::string> DescribeChanges(const std::vector<KeyInput>& before,
                                         const std::vector<KeyInput>& now) {
  std::map<std::pair<std::string, std::string>, std::string> old;
  for (const KeyInput& in : before) old[{in.kind, in.name}] = in.value;
  std::vector<std::string> changes;
  std::set<std::string> said;
  auto add = [&](std::string what) {
    if (said.insert(what).second) changes.push_back(std::move(what));
  };
  std::set<std::pair<std::string, std::string>> present;
  for (const KeyInput& in : now) {
    present.insert({in.kind, in.name});
    auto it = old.find({in.kind, in.name});
    if (it == old.end()) {
      // A command that became a built-in step (or back) is a changed command.
      const bool swapped_cmd = (in.kind == "cmd" && old.count({"cairn", ""}) != 0) ||
                               (in.kind == "cairn" && old.count({"cmd", ""}) != 0);
      add(swapped_cmd || in.kind == "out" ? Describe(in) : "new " + Describe(in));
    } else if (it->second != in.value) {
      add(Describe(in));
    }
  }
  for (const KeyInput& in : before) {
    if (present.count({in.kind, in.name}) != 0) continue;
    if (in.kind == "cmd" || in.kind == "cairn" || in.kind == "out") {
      add(Describe(in));
    } else {
      add("removed " + Describe(in));
    }
  }
  return changes;
}

Result<std::string> ApplyWindow(std::string_view text, const std::optional<Window>& window,
                                std::string_view where) {
  static constexpr std::string_view kStart = "${start_time}";
  static constexpr std::string_view kEnd = "${end_time}";
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t next = text.find("${", pos);
    if (next == std::string_view::npos) break;
    out.append(text.substr(pos, next - pos));
    const std::string_view rest = text.substr(next);
    const bool start = rest.starts_with(kStart);
    const bool end = rest.starts_with(kEnd);
    if (!start && !end) {
      out += "${";
      pos = next + 2;
      continue;
    }
    if (!window) {
      return Status::InvalidArgument(std::string(where) + " uses " +
                                     std::string(start ? kStart : kEnd) +
                                     ": give the window with --start-time and --end-time");
    }
    out += FormatBound(start ? window->start : window->end);
    pos = next + (start ? kStart.size() : kEnd.size());
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

}  // namespace cairn::pipeline
