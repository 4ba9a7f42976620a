#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
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

/// One regular file found by WalkTree.
struct TreeFile {
  std::string path;    // relative to the walked directory, '/'-separated
  FileStat stat;       // of the file, or of a symbolic link's target
  uint32_t mode = 0;   // st_mode of the file (or of the link's target)
  uint64_t links = 0;  // st_nlink
  /// For a symbolic link: its target as written (the file itself is the target's content).
  std::string link_target;
  bool symlink = false;
};

/// Every regular file under `dir` (following symbolic links to files, never into
/// directories), sorted by PathLess, on up to `threads` threads. Directories named in
/// `skip_names` (e.g. ".git") are not entered. kNotFound if `dir` is missing; kUnsupported
/// for a special file (FIFO, socket, device), a symbolic link to a directory or a dangling
/// link, naming it; kIOError for other failures.
Result<std::vector<TreeFile>> WalkTree(const std::string& dir, int threads,
                                       const std::vector<std::string>& skip_names = {});

/// The current real time in nanoseconds since the epoch.
int64_t NowNanos();

}  // namespace cairn::files
