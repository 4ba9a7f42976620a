#pragma once

// Content hashes of files and directories, behind a small interface: hashed directly, or
// through the workspace's persistent stat-keyed hash cache.

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
  /// How many files this hasher has read (and hashed) so far; files whose hash came from a
  /// cache are not counted. Hashers that do not count say 0.
  virtual int64_t files_read() const { return 0; }
};

/// A PathHasher that reads and hashes file contents (streaming, the files of a directory on
/// up to `threads` threads; 0 = all cores) and remembers each file's hash for the life of the
/// object, keyed by (path, device, inode, size, modification and change times), so a file
/// rewritten in between is hashed again.
std::unique_ptr<PathHasher> MakeDirectHasher(int threads);

/// A PathHasher that, on top of what MakeDirectHasher does, keeps file hashes across runs in
/// the workspace's hash cache (`<workspace_root>/.cairn/hashcache`, shared with tracked files;
/// docs/files.md): a file inside the workspace whose root-relative path and stat tuple match
/// an entry is not read, so a no-op `cairn pipeline status` over large data reads nothing, and
/// data that `cairn add` has hashed is not read again. Files outside the workspace are hashed
/// directly. The cache is loaded when the hasher is made and saved (when anything new was
/// hashed) when it is destroyed; a damaged or unwritable cache only costs re-reading.
std::unique_ptr<PathHasher> MakeCachedHasher(const std::string& workspace_root, int threads);

/// The hasher pipelines use: MakeCachedHasher when `workspace_root` is not empty, else
/// MakeDirectHasher.
std::unique_ptr<PathHasher> MakeDefaultHasher(const std::string& workspace_root, int threads);

}  // namespace cairn::pipeline
