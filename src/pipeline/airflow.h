#pragma once

// Exporting a pipeline as an Airflow DAG file: one self-contained Python file whose tasks
// (one per stage, each a Kubernetes pod running `cairn pipeline run-task`) follow the
// pipeline's edges and its schedule (docs/pipelines.md, "Airflow").

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "pipeline/spec.h"

namespace cairn::pipeline {

/// How the DAG is written.
struct AirflowOptions {
  /// The container image every task runs (it must contain the cairn binary and the project).
  std::string image = "cairn:latest";
  /// The Kubernetes namespace of the pods.
  std::string ns = "default";
  /// The DAG id; empty: the pipeline's name.
  std::string dag_id;
  /// The pipeline file as the tasks see it (in the image's working directory); empty: the
  /// file as given to LoadPipeline.
  std::string pipeline_path;
  /// The cairn binary in the image.
  std::string cairn_binary = "cairn";
  /// The DAG's start date when the schedule has no `start`.
  std::optional<int64_t> start;
};

/// The DAG file for `pipeline`. kInvalidArgument when the pipeline has no `schedule:`, or
/// when neither the schedule nor options name a start date.
Result<std::string> ExportAirflowDag(const Pipeline& pipeline, const AirflowOptions& options);

}  // namespace cairn::pipeline
