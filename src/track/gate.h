#pragma once

// Promotion: moving a model alias to a version, optionally gated on the candidate's
// evaluation against the alias's current holder on the same snapshot and split
// (docs/tracking.md, "Model registry"). Every attempt, moved or refused, is appended to the
// model's alias history.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "data/workspace.h"
#include "metrics/compare.h"
#include "metrics/result.h"
#include "track/registry.h"

namespace cairn::track {

/// A gate file:
///
///   split: test          # optional, default test
///   rules:
///     - f1_macro >= 0.8
///     - max_drop recall[7] 0.02 by stroke
///
/// Rules are in the text form of metrics::ParseGateRule.
struct GateSpec {
  std::string split = "test";
  std::vector<metrics::GateRule> rules;
  std::string source;  // the file it was read from
};

/// Parses a gate file's text. Errors (kInvalidArgument) name `file_name`, the line and the
/// field: "gate.yaml:4: 'rules[1]': expected METRIC >= NUMBER ...". At least one rule is
/// required; unknown keys are errors.
Result<GateSpec> ParseGateSpec(std::string_view text, std::string_view file_name);

/// Reads and parses a gate file. kNotFound when it cannot be read.
Result<GateSpec> ReadGateSpec(const std::string& path);

/// What Promote does.
struct PromoteOptions {
  std::string alias;
  /// Who promotes; empty: DefaultActor().
  std::string actor;
  /// The gate; nullopt: the alias moves without one.
  std::optional<GateSpec> gate;
  /// Called after the gate was checked and before the alias is written (tests use it to move
  /// the alias from another connection in between). May be empty.
  std::function<void()> before_write;
};

/// The gate's part of a promotion.
struct GateOutcome {
  std::string split;
  std::string snapshot_id;  // of the candidate's evaluation
  std::optional<ModelEvaluation> candidate;
  std::optional<ModelEvaluation> baseline;  // nullopt: the alias had no holder
  /// The evaluations compared (the candidate's; the baseline's when there is one).
  std::optional<metrics::EvaluationResult> candidate_result;
  std::optional<metrics::EvaluationResult> baseline_result;
  /// The rules' outcome; max_drop rules without a baseline pass with no checks.
  std::optional<metrics::GateResult> result;
  bool no_baseline = false;  // max_drop rules passed because the alias had no holder
};

/// The outcome of a promotion attempt.
struct Promotion {
  std::string model;
  std::string alias;
  int64_t version = 0;                  // the candidate
  std::optional<int64_t> from_version;  // the holder when the attempt was made
  bool moved = false;
  /// Why the promotion was refused (empty when moved): the gate failed, an evaluation is
  /// missing, a rule names a metric the evaluation lacks, or the alias moved meanwhile.
  std::string reason;
  /// Whether the refusal is an error in the gate's configuration (a rule naming a metric or
  /// slicing the evaluation lacks, class lists that differ) rather than a decision.
  bool gate_error = false;
  std::optional<GateOutcome> gate;
  int64_t seq = 0;  // the history entry written
  int64_t at = 0;
  std::string actor;
  /// The gate part as recorded in history (empty without a gate).
  std::string gate_json;
};

/// Promotes version `version` of `model` to options.alias. Without a gate the alias moves.
/// With one, the candidate's evaluation is its newest on the gate's split; the baseline is
/// the holder's newest evaluation on the same snapshot and split, and the promotion is
/// refused when the holder has none there (the reason says which evaluation to add and how).
/// Without a holder floors and ceilings apply and max_drop rules pass ("no baseline"). The
/// alias is then written in one transaction (serialized per model) that refuses when the
/// alias no longer names the version the gate compared against. Every attempt that reaches a
/// decision, refused or not, is appended to the history; refusals are returned as a
/// Promotion with moved = false, not as an error. Errors: unknown model or version, a bad
/// alias name, catalog and store failures (nothing is recorded then).
Result<Promotion> Promote(data::Workspace& ws, const std::string& model, int64_t version,
                          const PromoteOptions& options);

/// A self-contained HTML ship/no-ship page for a promotion: the verdict, the rules with
/// every check (candidate, baseline, limit, slice), and the per-metric comparison of the two
/// evaluations (or the candidate's report when there is no baseline). `generated_at` is shown
/// in the header.
std::string RenderPromotionHtml(const Promotion& promotion, const std::string& generated_at);

/// The limit a check of `rule` is held to: the threshold for floors and ceilings, and the
/// worst value allowed for max_drop (baseline - threshold, or + for lower-is-better
/// metrics); nullopt when there is no baseline value.
std::optional<double> GateLimit(const metrics::GateRule& rule, const metrics::GateCheck& check);

}  // namespace cairn::track
