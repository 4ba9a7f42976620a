#include "files/pointer.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

namespace cairn::files {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ParseNonNegative(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && *out >= 0;
}

Status LineError(std::string_view name, int line, std::string_view field, const std::string& what) {
  std::string msg = std::string(name) + ":" + std::to_string(line) + ": ";
  if (!field.empty()) msg += "field '" + std::string(field) + "': ";
  return Status::Corrupt(msg + what);
}

}  // namespace

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool PathLess(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    // '/' ends a component: it sorts before every other byte.
    const unsigned ca = a[i] == '/' ? 0U : static_cast<unsigned char>(a[i]) + 1U;
    const unsigned cb = b[i] == '/' ? 0U : static_cast<unsigned char>(b[i]) + 1U;
    return ca < cb;
  }
  return a.size() < b.size();
}

Result<Pointer> ParsePointer(std::string_view text, std::string_view name) {
  Pointer p;
  std::set<std::string> seen;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = Trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return LineError(name, line_no, "",
                       "expected 'field: value', got '" + std::string(line) + "'");
    }
    const std::string key(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (!seen.insert(key).second) return LineError(name, line_no, key, "given twice");
    if (key == "cairn") {
      if (value != "1") {
        return LineError(name, line_no, key,
                         "unsupported pointer version '" + std::string(value) + "' (expected 1)");
      }
    } else if (key == "type") {
      if (value == "file") {
        p.kind = PointerKind::kFile;
      } else if (value == "directory") {
        p.kind = PointerKind::kDirectory;
      } else {
        return LineError(name, line_no, key,
                         "expected 'file' or 'directory', got '" + std::string(value) + "'");
      }
    } else if (key == "sha256") {
      if (!IsSha256Hex(value)) {
        return LineError(name, line_no, key,
                         "expected 64 lowercase hex characters, got '" + std::string(value) + "'");
      }
      p.sha256 = std::string(value);
    } else if (key == "size" || key == "files") {
      int64_t n = 0;
      if (!ParseNonNegative(value, &n)) {
        return LineError(name, line_no, key,
                         "expected a non-negative integer, got '" + std::string(value) + "'");
      }
      (key == "size" ? p.size : p.files) = n;
    } else if (key == "executable") {
      if (value != "true" && value != "false") {
        return LineError(name, line_no, key,
                         "expected 'true' or 'false', got '" + std::string(value) + "'");
      }
      p.executable = value == "true";
    } else {
      return LineError(name, line_no, key, "unknown field");
    }
  }
  for (const char* required : {"cairn", "type", "sha256", "size"}) {
    if (seen.count(required) == 0) {
      return Status::Corrupt(std::string(name) + ": missing field '" + required + "'");
    }
  }
  if (p.kind == PointerKind::kDirectory) {
    if (seen.count("files") == 0) {
      return Status::Corrupt(std::string(name) + ": missing field 'files'");
    }
    if (seen.count("executable") != 0) {
      return Status::Corrupt(std::string(name) +
                             ": field 'executable' is only allowed for type 'file'");
    }
  } else if (seen.count("files") != 0) {
    return Status::Corrupt(std::string(name) +
                           ": field 'files' is only allowed for type "
                           "'directory'");
  }
  return p;
}

std::string FormatPointer(const Pointer& p) {
  std::string out =
      "# cairn pointer: `cairn checkout` restores the data from the cache, `cairn add` updates "
      "this file\ncairn: 1\n";
  out += p.kind == PointerKind::kFile ? "type: file\n" : "type: directory\n";
  out += "sha256: " + p.sha256 + "\nsize: " + std::to_string(p.size) + "\n";
  if (p.kind == PointerKind::kDirectory) out += "files: " + std::to_string(p.files) + "\n";
  if (p.kind == PointerKind::kFile && p.executable) out += "executable: true\n";
  return out;
}

namespace {
constexpr std::string_view kManifestHeader = "cairn-manifest 1";
}  // namespace

Status ScanManifest(std::string_view text, std::string_view name,
                    const std::function<void(const ManifestLine&)>& fn) {
  size_t pos = text.find('\n');
  if (pos == std::string_view::npos || text.substr(0, pos) != kManifestHeader) {
    return LineError(name, 1, "", "expected the header '" + std::string(kManifestHeader) + "'");
  }
  ++pos;
  int line_no = 1;
  std::string_view previous;
  bool first = true;
  while (pos < text.size()) {
    ++line_no;
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) {
      return LineError(name, line_no, "", "missing newline at the end");
    }
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ManifestLine e;
    // "<64 hex> <size> <x|-> <path>"
    if (line.size() < 70 || line[64] != ' ' || !IsSha256Hex(line.substr(0, 64))) {
      return LineError(name, line_no, "sha256", "expected 64 lowercase hex characters and a space");
    }
    e.sha256 = line.substr(0, 64);
    line.remove_prefix(65);
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || !ParseNonNegative(line.substr(0, sp), &e.size)) {
      return LineError(name, line_no, "size", "expected a non-negative integer and a space");
    }
    line.remove_prefix(sp + 1);
    if (line.size() < 3 || (line[0] != 'x' && line[0] != '-') || line[1] != ' ') {
      return LineError(name, line_no, "mode", "expected 'x' or '-' and a space");
    }
    e.executable = line[0] == 'x';
    line.remove_prefix(2);
    e.path = line;
    if (!first && !PathLess(previous, e.path)) {
      return LineError(name, line_no, "path",
                       "'" + std::string(e.path) + "' is out of order or repeated");
    }
    first = false;
    previous = e.path;
    fn(e);
  }
  return Status::Ok();
}

Result<std::vector<ManifestEntry>> ParseManifest(std::string_view text, std::string_view name) {
  std::vector<ManifestEntry> entries;
  CAIRN_RETURN_IF_ERROR(ScanManifest(text, name, [&](const ManifestLine& line) {
    ManifestEntry e;
    e.path = std::string(line.path);
    e.sha256 = std::string(line.sha256);
    e.size = line.size;
    e.executable = line.executable;
    entries.push_back(std::move(e));
  }));
  return entries;
}

std::string FormatManifest(const std::vector<ManifestEntry>& entries) {
  std::string out(kManifestHeader);
  out += '\n';
  size_t bytes = out.size();
  for (const auto& e : entries) bytes += 64 + 24 + e.path.size();
  out.reserve(bytes);
  for (const auto& e : entries) {
    out += e.sha256;
    out += ' ';
    out += std::to_string(e.size);
    out += e.executable ? " x " : " - ";
    out += e.path;
    out += '\n';
  }
  return out;
}

}  // namespace cairn::files
