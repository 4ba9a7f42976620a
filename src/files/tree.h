#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn::files {

/// The identity of a file's current content as far as the file system tells: a file whose
/// tuple is unchanged since it was hashed is not read again (see HashCache).
struct FileStat {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  friend bool operator==(const FileStat& a, const FileStat& b) = default;
};

/// The FileStat of a stat(2) result.
FileStat ToFileStat(const struct stat& st);

/// One regular file found by WalkTree. Its strings point into the Tree that holds it.
struct TreeFile {
  std::string_view path;  // relative to the walked directory, '/'-separated
  FileStat stat;          // of the file, or of a symbolic link's target
  uint32_t mode = 0;      // st_mode of the file (or of the link's target)
  uint64_t links = 0;     // st_nlink
  /// For a symbolic link: its target as written (the file itself is the target's content).
  std::string_view link_target;
  bool symlink = false;
};

/// The regular files of a walked directory, in PathLess order. The paths and link targets
/// of all files live in a few shared buffers owned by the Tree (no allocation per file), so
/// a Tree can be moved but not copied, and its TreeFiles are valid as long as it lives.
struct Tree {
  Tree() = default;
  Tree(Tree&&) = default;
  Tree& operator=(Tree&&) = default;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  std::vector<TreeFile> files;
  /// The character buffers the files' strings point into.
  std::vector<std::string> buffers;
};

/// Every regular file under `dir` (following symbolic links to files, never into
/// directories), sorted by PathLess, on up to `threads` threads. Directories named in
/// `skip_names` (e.g. ".git") are not entered. kNotFound if `dir` is missing; kUnsupported
/// for a special file (FIFO, socket, device), a symbolic link to a directory or a dangling
/// link, naming it; kIOError for other failures.
Result<Tree> WalkTree(const std::string& dir, int threads,
                      const std::vector<std::string>& skip_names = {});

/// The current real time in nanoseconds since the epoch.
int64_t NowNanos();

}  // namespace cairn::files
