#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cairn {

/// A file opened for positional reads. Thread-safe: ReadAt may be called concurrently.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  /// Total size in bytes.
  virtual int64_t size() const = 0;
  /// Reads exactly `n` bytes at `offset` into `out`; a short file is kCorrupt
  /// ("<path>: unexpected end of file ..."), an OS failure kIOError.
  virtual Status ReadAt(int64_t offset, int64_t n, char* out) const = 0;
  /// The path or name used in error messages.
  virtual const std::string& name() const = 0;
};

/// A file read front to back in chunks. Not thread-safe.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  /// Reads up to `n` bytes into `out`; returns the count, 0 at end of file.
  virtual Result<int64_t> Read(int64_t n, char* out) = 0;
  virtual const std::string& name() const = 0;
};

/// A file written front to back. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  /// Flushes, fsyncs and closes. For a file opened with atomic=true, the data becomes visible
  /// under its final name only now (temp file + fsync + rename). Without Close the final
  /// path is never touched.
  virtual Status Close() = 0;
  /// Bytes appended so far.
  virtual int64_t position() const = 0;
  virtual const std::string& name() const = 0;
};

/// Opens a local file for positional reads (pread). kNotFound if missing.
Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccessFile(const std::string& path);
/// Opens a local file for sequential reads; "-" means standard input.
Result<std::unique_ptr<SequentialFile>> OpenSequentialFile(const std::string& path);
/// Creates (truncates) a local file; "-" means standard output. With `atomic`, writes go to
/// "<path>.tmp-<random>" and are renamed over `path` on Close.
Result<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& path, bool atomic = true);

/// A RandomAccessFile over bytes in memory (for tests and fuzzers). Does not copy: `data`
/// must outlive the file.
std::unique_ptr<RandomAccessFile> MemoryRandomAccessFile(std::string_view data,
                                                         std::string name = "<memory>");
/// A SequentialFile over bytes in memory; `data` must outlive it.
std::unique_ptr<SequentialFile> MemorySequentialFile(std::string_view data,
                                                     std::string name = "<memory>");
/// A WritableFile appending to `*out`, which must outlive it.
std::unique_ptr<WritableFile> StringWritableFile(std::string* out, std::string name = "<memory>");

/// Reads a whole local file.
Result<std::string> ReadFileToString(const std::string& path);
/// Writes a whole local file atomically.
Status WriteStringToFile(const std::string& path, std::string_view data);

}  // namespace cairn
