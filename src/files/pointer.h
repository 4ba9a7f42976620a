#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn::files {

/// The suffix of a pointer file: `data/images` is described by `data/images.cairn`.
inline constexpr std::string_view kPointerSuffix = ".cairn";

/// What a pointer file describes.
enum class PointerKind { kFile, kDirectory };

/// The content of a pointer file (docs/files.md): a small text file meant to be committed to
/// git in place of the data it describes.
struct Pointer {
  PointerKind kind = PointerKind::kFile;
  /// kFile: SHA-256 of the file's bytes. kDirectory: SHA-256 of the manifest blob.
  std::string sha256;
  /// kFile: the file's size. kDirectory: the sum of the sizes of its files.
  int64_t size = 0;
  /// kDirectory only: how many files the manifest lists.
  int64_t files = 0;
  /// kFile only: the file's executable bit.
  bool executable = false;
};

/// Parses a pointer file. `name` is used in messages, which name the line and field:
/// "data/images.cairn:3: field 'sha256': expected 64 lowercase hex characters, got 'x'".
/// kCorrupt for any malformed, unknown, duplicate or missing field.
Result<Pointer> ParsePointer(std::string_view text, std::string_view name);
/// The text of a pointer file (ParsePointer(FormatPointer(p)) == p).
std::string FormatPointer(const Pointer& pointer);

/// One file of a tracked directory.
struct ManifestEntry {
  std::string path;    // relative to the directory, '/'-separated, no "." or ".." segment
  std::string sha256;  // lowercase hex
  int64_t size = 0;
  bool executable = false;
};

/// Parses a manifest blob (lines "<sha256> <size> <x|-> <path>" after the header line
/// "cairn-manifest 1", in PathLess order without duplicates). `name` is used in messages
/// ("manifest ab12...:7: ..."); kCorrupt on any malformed line.
Result<std::vector<ManifestEntry>> ParseManifest(std::string_view text, std::string_view name);
/// One line of a manifest, its strings pointing into the manifest's text.
struct ManifestLine {
  std::string_view sha256;  // lowercase hex
  int64_t size = 0;
  bool executable = false;
  std::string_view path;
};

/// Checks a manifest blob as ParseManifest does (same errors) and calls `fn` for each line in
/// order, without copying any string.
Status ScanManifest(std::string_view text, std::string_view name,
                    const std::function<void(const ManifestLine&)>& fn);

/// The manifest blob of `entries`, which must be sorted by PathLess.
std::string FormatManifest(const std::vector<ManifestEntry>& entries);

/// The order of paths in manifests and tree walks: component by component, each compared as
/// bytes (as if '/' sorted before every other byte), so that a directory's files are
/// contiguous and a depth-first walk that visits names in byte order yields it directly.
bool PathLess(std::string_view a, std::string_view b);

/// Whether `text` is 64 lowercase hex characters.
bool IsSha256Hex(std::string_view text);

}  // namespace cairn::files
