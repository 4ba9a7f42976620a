#pragma once

// Subscriptions: a stage that declares `subscribe: DATASET` is handed the commits of that
// dataset it has not processed yet. Its position (the last sequence it processed) is kept
// per (pipeline, stage, dataset) in the catalog (schema v7, docs/catalog.md) and advanced
// only after the stage succeeded, so a failure or a crash delivers the same commits again.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "catalog/catalog.h"

namespace cairn::pipeline {

/// The commits handed to a subscribed stage in one run.
struct Delivery {
  std::string dataset;
  /// The stage's position before this delivery (0: it never processed a commit).
  int64_t after_sequence = 0;
  /// The sequences of the first and last of DeliveredCommits (both 0 when there are none).
  int64_t first_sequence = 0;
  int64_t last_sequence = 0;
  /// The delivered commit ids, oldest first; empty when nothing is new.
  std::vector<std::string> commits;
  /// The commits of the previous delivery (what the stage processed last), oldest first;
  /// delivered again, for the key, when nothing is new.
  std::vector<std::string> previous_commits;

  /// Whether there are commits the stage has not processed.
  bool has_new() const { return !commits.empty(); }
};

/// A subscription's stored position.
struct SubscriptionRecord {
  std::string pipeline;
  std::string stage;
  std::string dataset;
  /// The last sequence the stage processed.
  int64_t position = 0;
  /// The commit ids of the last delivery, oldest first.
  std::vector<std::string> commits;
  std::string stage_key;
  std::string run_id;
  int64_t updated_at = 0;
  /// The dataset's latest sequence when listed (0 without commits).
  int64_t head = 0;
};

/// What `stage` of `pipeline` has not processed of `dataset`: the commits after its
/// position, oldest first (all of them when it has none). kInvalidArgument when the dataset does
/// not exist.
Result<Delivery> PendingDelivery(catalog::Connection& conn, const std::string& pipeline,
                                 const std::string& stage, const std::string& dataset);

/// Moves the position of (pipeline, stage, dataset) from delivery.after_sequence to
/// delivery.last_sequence, recording the delivered commits, the stage key and the run.
/// Returns false (and changes nothing) when the position is no longer after_sequence
/// because another run advanced it meanwhile.
Result<bool> AdvanceSubscription(catalog::Connection& conn, const std::string& pipeline,
                                 const std::string& stage, const Delivery& delivery,
                                 const std::string& stage_key, const std::string& run_id);

/// The stored positions of `pipeline` (every pipeline when empty), sorted by pipeline,
/// stage and dataset, with each dataset's head sequence.
Result<std::vector<SubscriptionRecord>> ListSubscriptions(catalog::Connection& conn,
                                                          const std::string& pipeline);

/// `text` with ${commits} (the delivered ids separated by spaces), ${first_sequence},
/// ${last_sequence} and ${dataset} replaced from `delivery`; other ${...} are left alone.
std::string ApplyDelivery(std::string_view text, const Delivery& delivery);

/// The environment a subscribed stage gets: CAIRN_SUBSCRIBED_DATASET, CAIRN_COMMITS (ids
/// separated by spaces), CAIRN_FIRST_SEQUENCE, CAIRN_LAST_SEQUENCE and CAIRN_AFTER_SEQUENCE.
std::vector<std::pair<std::string, std::string>> DeliveryEnv(const Delivery& delivery);

/// The commits the stage works on in this run: the new ones, or (when nothing is new) those
/// of the previous delivery.
const std::vector<std::string>& DeliveredCommits(const Delivery& delivery);

}  // namespace cairn::pipeline
