#pragma once

// Artifacts: named files of a run (a model, a log, a report), stored content-addressed in the
// workspace's blob store and read back only after their hash is checked (docs/tracking.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "data/workspace.h"

namespace cairn::track {

/// One artifact of a run as recorded in the catalog.
struct ArtifactInfo {
  std::string run_id;
  std::string name;     // a relative path: "model.bin", "logs/stdout.txt"
  std::string blob_id;  // lowercase hex SHA-256 of the content
  int64_t size = 0;
  int64_t created_at = 0;  // microseconds since the epoch
};

/// Checks an artifact name: 1 to 256 characters, '/'-separated components of
/// [A-Za-z0-9._-], none empty, "." or "..". kInvalidArgument "artifact name '...': ..."
/// otherwise.
Status CheckArtifactName(std::string_view name);

/// Stores the file at `path` as the artifact `name` of the run `ref` (id or unique prefix):
/// the content is streamed into the blob store, then one catalog row is written, so a crash
/// leaves at most an unreferenced blob. Logging the same content under the same name again
/// is a no-op; other content under an existing name is kAlreadyExists naming both hashes.
/// kNotFound for an unknown run or a missing file.
Result<ArtifactInfo> LogArtifactFile(data::Workspace& ws, const std::string& ref,
                                     const std::string& name, const std::string& path);

/// LogArtifactFile for bytes in memory.
Result<ArtifactInfo> LogArtifactBytes(data::Workspace& ws, const std::string& ref,
                                      const std::string& name, std::string_view data);

/// The artifacts of the run `ref`, sorted by name.
Result<std::vector<ArtifactInfo>> ListArtifacts(data::Workspace& ws, const std::string& ref);

/// The artifact `name` of the run `ref`: kNotFound "run <id> has no artifact '<name>'".
Result<ArtifactInfo> GetArtifact(data::Workspace& ws, const std::string& ref,
                                 const std::string& name);

/// The artifact's content after checking its SHA-256 and size against the catalog: kCorrupt
/// naming the run, the artifact and the blob when they differ.
Result<std::string> ReadArtifact(data::Workspace& ws, const std::string& ref,
                                 const std::string& name);

/// Writes the artifact to `dest` (a file path; parent directories are created) through a
/// temporary file that is hashed and renamed into place only when it matches, so `dest` is
/// never left holding damaged content. Errors as ReadArtifact.
Status ExportArtifact(data::Workspace& ws, const std::string& ref, const std::string& name,
                      const std::string& dest);

}  // namespace cairn::track
