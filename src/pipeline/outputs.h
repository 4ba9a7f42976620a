#pragma once

// Stage outputs in the run cache: declared outputs are stored content-addressed in the blob
// store (a file as one blob; a directory as a manifest blob listing its files plus one blob
// per file) and restored from there, each object verified against its hash.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pipeline/hasher.h"
#include "store/blob_store.h"
#include "store/object_store.h"

namespace cairn::pipeline {

/// One declared output as recorded in the run cache.
struct StoredOutput {
  std::string path;  // relative to the pipeline's directory
  PathHash::Kind kind = PathHash::Kind::kFile;
  std::string hash;  // the content hash (see PathHash)
  std::string blob;  // a file: its blob (= hash); a directory: its manifest blob
  bool executable = false;

  friend bool operator==(const StoredOutput& a, const StoredOutput& b) = default;
};

/// What SaveOutputs stored.
struct SavedOutputs {
  std::vector<StoredOutput> outputs;
  /// Every blob the outputs reference (manifests and files), sorted, without duplicates.
  std::vector<std::string> blobs;
};

/// The run cache's text for `outputs`: one line "KIND\tHASH\tBLOB\tX\tPATH\n" per output
/// (KIND `f` or `d`, X `x` for executable else `-`, PATH escaped as in EscapeField).
std::string OutputsText(const std::vector<StoredOutput>& outputs);
/// The inverse of OutputsText; kCorrupt for a malformed line.
Result<std::vector<StoredOutput>> ParseOutputsText(std::string_view text);

/// Hashes the outputs `outs` (relative to `dir`) and stores every file and directory
/// manifest in `blobs` (a blob already present is not uploaded again). kNotFound "output
/// 'x' was not created" for a missing output; kIOError when an output changes while it is
/// stored.
Result<SavedOutputs> SaveOutputs(store::BlobStore& blobs, PathHasher& hasher,
                                 const std::string& dir, const std::vector<std::string>& outs);

/// The recorded outputs whose local copy under `dir` is missing or has other content (or
/// another kind or executable bit), in order.
Result<std::vector<std::string>> ChangedOutputs(PathHasher& hasher, const std::string& dir,
                                                const std::vector<StoredOutput>& outputs);

/// Rewrites each output in `paths` (a subset of `outputs`) from the blob store. Every object
/// is downloaded to a temporary name next to its destination and hashed; only when all of an
/// output's objects match is the old copy replaced (rename), so a damaged cache never
/// leaves a half-restored output. kCorrupt "cached output 'x': ..." when an object is
/// missing or does not match its hash; store errors are passed on.
Status RestoreOutputs(store::BlobStore& blobs, store::ObjectStore& objects, PathHasher& hasher,
                      const std::string& dir, const std::vector<StoredOutput>& outputs,
                      const std::vector<std::string>& paths);

}  // namespace cairn::pipeline
