#pragma once

// Content hashes of files and directories, behind a small interface so that a stat-keyed
// persistent hash cache can replace the direct implementation.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace cairn::pipeline {

/// One regular file inside a hashed directory.
struct DirectoryFile {
  std::string path;  // relative to the directory, '/'-separated
  std::string hash;  // lowercase hex SHA-256 of the content
  int64_t size = 0;
  bool executable = false;
};

/// The content hash of a path.
struct PathHash {
  enum class Kind { kMissing, kFile, kDirectory };
  Kind kind = Kind::kMissing;
  /// A file: the SHA-256 of its bytes. A directory: the SHA-256 over its regular files
  /// sorted by relative path, one line "PATH\0HASH\n" each (see DirectoryHash). Empty when
  /// missing.
  std::string hash;
  /// Total bytes.
  int64_t size = 0;
  /// A file: whether it is executable by its owner.
  bool executable = false;
  /// A directory: its regular files (symbolic links followed), sorted by path. Empty
  /// directories and other special files are not part of a directory's content.
  std::vector<DirectoryFile> files;
};

/// The directory hash of `files` (sorted by path): SHA-256 over "PATH\0HASH\n" lines.
std::string DirectoryHash(const std::vector<DirectoryFile>& files);

/// Computes content hashes of local paths. Implementations are thread-safe.
class PathHasher {
 public:
  virtual ~PathHasher() = default;
  /// The hash of the file or directory at `path` (absolute). A path that does not exist is
  /// kMissing, not an error; kIOError when it cannot be read.
  virtual Result<PathHash> Hash(const std::string& path) = 0;
};

/// A PathHasher that reads and hashes file contents (streaming, the files of a directory on
/// up to `threads` threads; 0 = all cores) and remembers each file's hash for the life of the
/// object, keyed by (path, device, inode, size, modification and change times), so a file
/// rewritten in between is hashed again.
std::unique_ptr<PathHasher> MakeDirectHasher(int threads);

}  // namespace cairn::pipeline
