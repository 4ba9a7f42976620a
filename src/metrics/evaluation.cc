#include "metrics/evaluation.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <type_traits>

#include "base/thread_pool.h"
#include "metrics/exact_sum.h"
#include "metrics/radix_sort.h"
#include "table/column.h"

namespace cairn::metrics {
namespace {

using table::Column;
using table::TypeKind;

constexpr int kCurvePoints = 101;  // recall / false positive rate levels 0, 0.01, ..., 1

bool ParseInt(std::string_view text, int64_t* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string RowText(int64_t row) { return "row " + std::to_string(row); }

struct StringHash {
  using is_transparent = void;  // NOLINT(readability-identifier-naming): std's name
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringIndex = std::unordered_map<std::string, int, StringHash, std::equal_to<>>;

// One value of a slicing column.
struct SliceValue {
  enum class Kind : uint8_t { kText, kInt, kFloat, kNull };
  Kind kind = Kind::kText;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
};

// Orders slice values: numbers numerically, text lexicographically, null last.
bool SliceValueLess(const SliceValue& a, const SliceValue& b) {
  bool a_null = a.kind == SliceValue::Kind::kNull;
  bool b_null = b.kind == SliceValue::Kind::kNull;
  if (a_null != b_null) return b_null;
  if (a.kind == SliceValue::Kind::kInt && b.kind == SliceValue::Kind::kInt) {
    return a.int_value < b.int_value;
  }
  if (a.kind == SliceValue::Kind::kFloat && b.kind == SliceValue::Kind::kFloat) {
    return a.float_value < b.float_value;
  }
  return a.text < b.text;
}

// The distinct values of one slicing column, numbered in first-seen order.
struct ValueDictionary {
  std::vector<SliceValue> values;
  StringIndex by_text;
  std::unordered_map<int64_t, int> by_int;

  int Intern(const SliceValue& v) {
    if (v.kind == SliceValue::Kind::kInt) {
      auto it = by_int.find(v.int_value);
      if (it != by_int.end()) return it->second;
    }
    auto it = by_text.find(v.text);
    if (it != by_text.end()) return it->second;
    int id = static_cast<int>(values.size());
    values.push_back(v);
    by_text.emplace(v.text, id);
    if (v.kind == SliceValue::Kind::kInt) by_int.emplace(v.int_value, id);
    return id;
  }
};

SliceValue ValueAt(const Column& c, int64_t i) {
  SliceValue v;
  if (c.IsNull(i)) {
    v.kind = SliceValue::Kind::kNull;
    v.text = "null";
  } else if (c.type().kind == TypeKind::kInt64) {
    v.kind = SliceValue::Kind::kInt;
    v.int_value = c.Int(i);
    v.text = std::to_string(v.int_value);
  } else if (c.type().kind == TypeKind::kFloat64) {
    v.kind = SliceValue::Kind::kFloat;
    v.float_value = c.Double(i);
    v.text = c.Format(i);
  } else if (c.type().kind == TypeKind::kString) {
    v.text = std::string(c.String(i));
  } else {
    v.text = c.Format(i);
  }
  return v;
}

// Multilabel counts of one slice (classes in the given order).
struct MultilabelCounts {
  std::vector<int64_t> tp, fp, fn;
  int64_t exact = 0;
  std::map<std::array<int64_t, 3>, int64_t> row_counts;

  void Merge(const MultilabelCounts& o) {
    if (tp.size() < o.tp.size()) {
      tp.resize(o.tp.size());
      fp.resize(o.tp.size());
      fn.resize(o.tp.size());
    }
    for (size_t c = 0; c < o.tp.size(); ++c) {
      tp[c] += o.tp[c];
      fp[c] += o.fp[c];
      fn[c] += o.fn[c];
    }
    exact += o.exact;
    for (const auto& [k, v] : o.row_counts) row_counts[k] += v;
  }
};

struct SliceState {
  int64_t rows = 0;
  ConfusionMatrix confusion;
  MultilabelCounts multilabel;
};

// One slicing: its columns' value dictionaries, its slices (tuples of value ids) and their
// states.
struct SlicingState {
  std::vector<std::string> columns;
  std::vector<ValueDictionary> dictionaries;        // one per column
  std::vector<std::vector<int>> slice_values;       // slice -> value id per column
  std::unordered_map<uint64_t, int> slice_of_pair;  // two columns: (id0 << 32 | id1) -> slice
  std::vector<int> slice_of_value;                  // one column: value id -> slice
  std::vector<SliceState> states;

  int SliceOf(const std::vector<int>& ids) {
    if (ids.size() == 1) {
      size_t id = static_cast<size_t>(ids[0]);
      if (id < slice_of_value.size() && slice_of_value[id] >= 0) return slice_of_value[id];
      if (slice_of_value.size() <= id) slice_of_value.resize(id + 1, -1);
      int slice = static_cast<int>(slice_values.size());
      slice_of_value[id] = slice;
      slice_values.push_back(ids);
      states.emplace_back();
      return slice;
    }
    uint64_t key = (static_cast<uint64_t>(ids[0]) << 32) | static_cast<uint32_t>(ids[1]);
    auto it = slice_of_pair.find(key);
    if (it != slice_of_pair.end()) return it->second;
    int slice = static_cast<int>(slice_values.size());
    slice_of_pair.emplace(key, slice);
    slice_values.push_back(ids);
    states.emplace_back();
    return slice;
  }
};

// Per-group accumulators of one class's ranking pass.
struct RankAccumulator {
  uint64_t key = 0;  // the order-preserving bits of the open block's score
  bool open = false;
  size_t pr_bucket = 0;   // floor(100 tp / positives), advanced as tp grows
  size_t roc_bucket = 0;  // ceil(100 fp / negatives), advanced as fp grows
  int64_t block_pos = 0;
  int64_t block_neg = 0;
  int64_t tp = 0;
  int64_t fp = 0;
  __int128 auc_twice = 0;
  ExactSum ap;
  std::vector<double> pr_best;   // by recall bucket
  std::vector<double> roc_best;  // by false positive rate bucket
};

void FlushBlock(RankAccumulator* a, int64_t positives, int64_t negatives) {
  if (!a->open) return;
  a->auc_twice +=
      static_cast<__int128>(a->block_neg) * (2 * static_cast<__int128>(a->tp) + a->block_pos);
  a->tp += a->block_pos;
  a->fp += a->block_neg;
  double precision = static_cast<double>(a->tp) / static_cast<double>(a->tp + a->fp);
  if (a->block_pos > 0) a->ap.Add(static_cast<double>(a->block_pos) * precision);
  if (positives > 0) {
    constexpr int64_t kSteps = kCurvePoints - 1;
    while (static_cast<int64_t>(a->pr_bucket + 1) * positives <= kSteps * a->tp &&
           a->pr_bucket + 1 < kCurvePoints) {
      ++a->pr_bucket;
    }
    a->pr_best[a->pr_bucket] = std::max(a->pr_best[a->pr_bucket], precision);
    if (negatives > 0) {
      while (static_cast<int64_t>(a->roc_bucket) * negatives < kSteps * a->fp) ++a->roc_bucket;
      double tpr = static_cast<double>(a->tp) / static_cast<double>(positives);
      a->roc_best[a->roc_bucket] = std::max(a->roc_best[a->roc_bucket], tpr);
    }
  }
  a->open = false;
  a->block_pos = 0;
  a->block_neg = 0;
}

// The calibration bin of a confidence: (k/bins, (k+1)/bins], the first bin also holding 0.
int CalibrationBinOf(double confidence, int bins) {
  int b = static_cast<int>(std::floor(confidence * bins));
  b = std::clamp(b, 0, bins - 1);
  while (b > 0 && confidence <= static_cast<double>(b) / bins) --b;
  while (b < bins - 1 && confidence > static_cast<double>(b + 1) / bins) ++b;
  return b;
}

struct ProbabilityAccumulator {
  int64_t rows = 0;
  ExactSum log_loss;
  ExactSum brier;
  std::vector<int64_t> rank_counts;
  int64_t threshold_hits = 0;
  struct Bin {
    int64_t count = 0;
    ExactSum confidence;
    int64_t correct = 0;
  };
  std::map<int, std::vector<Bin>> calibration;

  void Merge(const ProbabilityAccumulator& o) {
    rows += o.rows;
    log_loss.Merge(o.log_loss);
    brier.Merge(o.brier);
    for (size_t i = 0; i < rank_counts.size(); ++i) rank_counts[i] += o.rank_counts[i];
    threshold_hits += o.threshold_hits;
    for (auto& [bins, list] : calibration) {
      const auto& other = o.calibration.at(bins);
      for (size_t b = 0; b < list.size(); ++b) {
        list[b].count += other[b].count;
        list[b].confidence.Merge(other[b].confidence);
        list[b].correct += other[b].correct;
      }
    }
  }
};

}  // namespace

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
    case Task::kMultilabel:
      return "multilabel";
  }
  return "?";
}

Result<Task> ParseTask(std::string_view name) {
  for (Task t : {Task::kBinary, Task::kMulticlass, Task::kRegression, Task::kMultilabel}) {
    if (TaskName(t) == name) return t;
  }
  return Status::InvalidArgument("unknown task '" + std::string(name) +
                                 "' (tasks: binary, multiclass, regression, multilabel)");
}

struct Evaluation::State {
  enum class LabelKind : uint8_t { kUnknown, kInt, kString };

  EvaluationOptions options;
  Plan plan;
  bool classification = true;
  bool needs_confusion = false;
  bool needs_rows = false;         // keep per-row labels/scores/values
  bool derive_prediction = false;  // predicted class from the scores

  LabelKind label_kind = LabelKind::kUnknown;
  std::vector<std::string> class_names;  // given order, or first-seen order
  StringIndex class_index;
  std::unordered_map<int64_t, int> int_class_index;
  int positive = -1;  // binary: index of the positive class

  SliceState overall;
  std::vector<SlicingState> slicings;

  // Per-row store (needs_rows).
  std::vector<int32_t> row_label;                // classification: class index
  std::vector<uint64_t> row_label_mask;          // multilabel: bit c = labelled with class c
  std::vector<std::vector<double>> row_scores;   // per score column
  std::vector<double> row_value;                 // regression: label
  std::vector<double> row_prediction;            // regression: prediction
  std::vector<std::vector<uint32_t>> row_slice;  // per slicing: slice index

  Status SetLabelKind(LabelKind kind) {
    if (label_kind == kind) return Status::Ok();
    if (label_kind != LabelKind::kUnknown) {
      return Status::InvalidArgument("columns '" + options.label_column + "' and '" +
                                     options.prediction_column +
                                     "': integer and string classes cannot be mixed");
    }
    label_kind = kind;
    if (kind == LabelKind::kInt) {
      for (size_t i = 0; i < class_names.size(); ++i) {
        int64_t value = 0;
        if (!ParseInt(class_names[i], &value)) {
          return Status::InvalidArgument("class '" + class_names[i] +
                                         "' is not an integer, but the class columns are");
        }
        int_class_index[value] = static_cast<int>(i);
      }
    }
    return Status::Ok();
  }

  bool ClassesFixed() const { return !options.classes.empty(); }

  int ClassIndex(std::string_view text) {
    auto it = class_index.find(text);
    if (it != class_index.end()) return it->second;
    if (ClassesFixed()) return -1;
    int index = static_cast<int>(class_names.size());
    class_names.emplace_back(text);
    class_index.emplace(std::string(text), index);
    if (options.task == Task::kBinary && text == options.positive_class) positive = index;
    return index;
  }

  int ClassIndexOfInt(int64_t value) {
    auto it = int_class_index.find(value);
    if (it != int_class_index.end()) return it->second;
    int index = ClassIndex(std::to_string(value));
    if (index >= 0) int_class_index.emplace(value, index);
    return index;
  }

  void Count(SliceState* state, int t, int p) const {
    ++state->rows;
    if (!needs_confusion) return;
    int n = static_cast<int>(class_names.size());
    if (state->confusion.num_classes() < n) state->confusion.Resize(n);
    state->confusion.Add(t, p);
  }

  Status AddClassification(const table::Table& batch, int64_t first_row);
  Status AddRegression(const table::Table& batch, int64_t first_row);
  Status ResolveSlices(const table::Table& batch, std::vector<std::vector<int>>* slice_ids);

  // Finish helpers.
  int NumGroups() const {
    int g = 1;
    for (const SlicingState& s : slicings) g += static_cast<int>(s.states.size());
    return g;
  }
  std::vector<int> GroupBases() const {
    std::vector<int> bases;
    int g = 1;
    for (const SlicingState& s : slicings) {
      bases.push_back(g);
      g += static_cast<int>(s.states.size());
    }
    return bases;
  }
  template <typename Fn>
  void ForEachGroup(size_t row, const std::vector<int>& bases, Fn&& fn) const {
    fn(0);
    for (size_t s = 0; s < slicings.size(); ++s) {
      fn(bases[s] + static_cast<int>(row_slice[s][row]));
    }
  }
  std::vector<RankingStats> ComputeRankings(const std::vector<int>& new_index, int threads) const;
  std::vector<ProbabilityStats> ComputeProbabilities(const std::vector<int>& new_index,
                                                     int threads) const;
  std::vector<RegressionStats> ComputeRegression() const;
  Status AddMultilabel(const table::Table& batch, int64_t first_row);
  // The score columns of `batch`, checked to be numeric.
  Status FindScoreColumns(const table::Table& batch, std::vector<const Column*>* out) const {
    for (const std::string& name : options.score_columns) {
      const Column* c = batch.ColumnByName(name);
      if (c == nullptr) return Status::NotFound("no score column '" + name + "'");
      if (c->type().kind != TypeKind::kFloat64 && c->type().kind != TypeKind::kInt64) {
        return Status::InvalidArgument("score column '" + name + "' must be numeric, not " +
                                       c->type().ToString());
      }
      out->push_back(c);
    }
    return Status::Ok();
  }
  // Reads row i's scores into `out`; `row` numbers the row in messages. -0.0 becomes 0.0.
  Status ReadScores(const std::vector<const Column*>& scores, int64_t i, int64_t row,
                    std::vector<double>* out) const {
    for (size_t k = 0; k < scores.size(); ++k) {
      const Column* c = scores[k];
      if (c->IsNull(i)) {
        return Status::InvalidArgument(RowText(row) + ": score column '" +
                                       options.score_columns[k] + "' is null");
      }
      double v = c->type().kind == TypeKind::kInt64 ? static_cast<double>(c->Int(i)) : c->Double(i);
      if (!std::isfinite(v)) {
        return Status::InvalidArgument(RowText(row) + ": score column '" +
                                       options.score_columns[k] + "' is " + c->Format(i) +
                                       " (scores must be finite numbers)");
      }
      (*out)[k] = v == 0 ? 0.0 : v;
    }
    return Status::Ok();
  }
  // Keeps row i's scores and slices in the per-row store.
  void StoreRow(const std::vector<double>& scores, const std::vector<std::vector<int>>& slice_ids,
                int64_t i) {
    for (size_t k = 0; k < scores.size(); ++k) row_scores[k].push_back(scores[k]);
    for (size_t sl = 0; sl < slicings.size(); ++sl) {
      row_slice[sl].push_back(static_cast<uint32_t>(slice_ids[sl][static_cast<size_t>(i)]));
    }
  }
  size_t StoredRows() const {
    return options.task == Task::kMultilabel ? row_label_mask.size() : row_label.size();
  }
  bool IsPositive(size_t r, int c) const {
    return options.task == Task::kMultilabel ? ((row_label_mask[r] >> c) & 1U) != 0
                                             : row_label[r] == c;
  }
};

Evaluation::Evaluation(std::unique_ptr<State> state) : s_(std::move(state)) {}
Evaluation::Evaluation(Evaluation&&) noexcept = default;
Evaluation& Evaluation::operator=(Evaluation&&) noexcept = default;
Evaluation::~Evaluation() = default;

int64_t Evaluation::rows() const { return s_->overall.rows; }
const EvaluationOptions& Evaluation::options() const { return s_->options; }
const Plan& Evaluation::plan() const { return s_->plan; }
const std::vector<std::string>& Evaluation::requests() const { return s_->plan.requests; }

Result<Evaluation> Evaluation::Make(EvaluationOptions options, Plan plan) {
  auto s = std::make_unique<State>();
  bool regression = options.task == Task::kRegression;
  bool multilabel = options.task == Task::kMultilabel;
  {
    // Which metrics do not fit the task.
    std::string misfits;
    for (const PlannedMetric& m : plan.metrics) {
      auto deps = multilabel ? m.metric->multilabel_dependencies() : m.metric->dependencies();
      bool fits = !deps.empty() &&
                  (multilabel ||
                   std::find(deps.begin(), deps.end(), Intermediate::kMultilabel) == deps.end());
      if (!fits) misfits += (misfits.empty() ? "" : ", ") + m.spec.Key();
    }
    if (!misfits.empty()) {
      return Status::InvalidArgument("metrics " + misfits + " are not defined for the " +
                                     std::string(TaskName(options.task)) + " task");
    }
  }
  if (multilabel) {
    // Plan the multilabel intermediates of every metric instead.
    plan.intermediates.clear();
    for (const PlannedMetric& m : plan.metrics) {
      for (Intermediate i : m.metric->multilabel_dependencies()) {
        if (!plan.Needs(i)) plan.intermediates.push_back(i);
      }
    }
    if (options.classes.empty() || options.label_columns.size() != options.classes.size()) {
      return Status::InvalidArgument(
          "a multilabel evaluation needs the class list and one label column per class");
    }
    if (plan.Needs(Intermediate::kMultilabel) &&
        options.prediction_columns.size() != options.classes.size()) {
      return Status::InvalidArgument(
          "the metrics need one prediction column per class (multilabel)");
    }
    if (plan.Needs(Intermediate::kRanking)) {
      if (options.score_columns.size() != options.classes.size()) {
        return Status::InvalidArgument("the score metrics need one score column per class");
      }
      if (options.classes.size() > 64) {
        return Status::InvalidArgument("multilabel score metrics support up to 64 classes");
      }
    }
    if (options.label_column.empty()) options.label_column = options.label_columns[0];
  }
  for (Intermediate i : plan.intermediates) {
    if ((i == Intermediate::kRegression) != regression) {
      std::string names;
      for (const PlannedMetric& m : plan.metrics) {
        auto deps = m.metric->dependencies();
        bool is_regression =
            std::find(deps.begin(), deps.end(), Intermediate::kRegression) != deps.end();
        if (is_regression == regression) continue;
        if (!names.empty()) names += ", ";
        names += m.spec.Key();
      }
      return Status::InvalidArgument(
          regression ? "metrics " + names + " are not regression metrics (task: regression)"
                     : "metrics " + names + " are regression metrics (task: " +
                           std::string(TaskName(options.task)) + ")");
    }
  }
  bool needs_scores = plan.Needs(Intermediate::kRanking) || plan.Needs(Intermediate::kProbability);
  bool reads_prediction = std::find(plan.inputs.begin(), plan.inputs.end(),
                                    InputRole::kPrediction) != plan.inputs.end();
  if (options.label_column.empty()) return Status::InvalidArgument("no label column given");
  if (options.task == Task::kBinary) {
    if (options.positive_class.empty()) options.positive_class = "1";
    if (!options.classes.empty()) {
      if (options.classes.size() != 2) {
        return Status::InvalidArgument("a binary evaluation has two classes, not " +
                                       std::to_string(options.classes.size()));
      }
      if (std::find(options.classes.begin(), options.classes.end(), options.positive_class) ==
          options.classes.end()) {
        return Status::InvalidArgument("the positive class '" + options.positive_class +
                                       "' is not in the class list");
      }
    }
  }
  if (needs_scores) {
    if (options.score_columns.empty()) {
      return Status::InvalidArgument("the score metrics need score columns");
    }
    if (options.task == Task::kBinary && options.score_columns.size() != 1) {
      return Status::InvalidArgument(
          "a binary evaluation takes one score column (the positive class's), not " +
          std::to_string(options.score_columns.size()));
    }
    if (options.task == Task::kMulticlass || multilabel) {
      if (options.classes.empty()) {
        return Status::InvalidArgument(
            "score columns need the class list, in the order of the score columns");
      }
      if (options.score_columns.size() != options.classes.size()) {
        return Status::InvalidArgument(
            std::to_string(options.score_columns.size()) + " score columns for " +
            std::to_string(options.classes.size()) + " classes: give one per class");
      }
    }
  }
  if (reads_prediction && options.prediction_column.empty() && !multilabel) {
    bool can_derive =
        !regression && !options.score_columns.empty() && !options.classes.empty() &&
        (options.task == Task::kMulticlass ? options.score_columns.size() == options.classes.size()
                                           : options.score_columns.size() == 1);
    if (!can_derive) {
      return Status::InvalidArgument(
          "the metrics need a prediction column (or score columns and the class list)");
    }
    s->derive_prediction = true;
  }
  for (const auto& slicing : options.slicings) {
    if (slicing.empty() || slicing.size() > 2) {
      return Status::InvalidArgument("a slicing has one or two columns, not " +
                                     std::to_string(slicing.size()));
    }
    SlicingState st;
    st.columns = slicing;
    st.dictionaries.resize(slicing.size());
    s->slicings.push_back(std::move(st));
    s->row_slice.emplace_back();
  }
  s->classification = !regression;
  s->needs_confusion = plan.Needs(Intermediate::kConfusionMatrix);
  s->needs_rows = needs_scores || regression;
  if (needs_scores) s->row_scores.resize(options.score_columns.size());
  s->options = std::move(options);
  s->plan = std::move(plan);
  for (const std::string& c : s->options.classes) {
    if (s->class_index.count(c) > 0) {
      return Status::InvalidArgument("class list: '" + c + "' given twice");
    }
    s->class_index.emplace(c, static_cast<int>(s->class_names.size()));
    if (s->options.task == Task::kBinary && c == s->options.positive_class) {
      s->positive = static_cast<int>(s->class_names.size());
    }
    s->class_names.push_back(c);
  }
  return Evaluation(std::move(s));
}

Status Evaluation::State::ResolveSlices(const table::Table& batch,
                                        std::vector<std::vector<int>>* slice_ids) {
  slice_ids->assign(slicings.size(), {});
  for (size_t s = 0; s < slicings.size(); ++s) {
    SlicingState& st = slicings[s];
    std::vector<const Column*> cols;
    for (const std::string& name : st.columns) {
      const Column* c = batch.ColumnByName(name);
      if (c == nullptr) return Status::NotFound("no slice column '" + name + "'");
      cols.push_back(c);
    }
    std::vector<int>& out = (*slice_ids)[s];
    out.resize(static_cast<size_t>(batch.num_rows()));
    std::vector<int> ids(cols.size());
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      for (size_t k = 0; k < cols.size(); ++k) {
        const Column& c = *cols[k];
        ValueDictionary& dict = st.dictionaries[k];
        int id = -1;
        if (!c.IsNull(i) && c.type().kind == TypeKind::kString) {
          auto it = dict.by_text.find(c.String(i));
          if (it != dict.by_text.end()) id = it->second;
        } else if (!c.IsNull(i) && c.type().kind == TypeKind::kInt64) {
          auto it = dict.by_int.find(c.Int(i));
          if (it != dict.by_int.end()) id = it->second;
        }
        if (id < 0) id = dict.Intern(ValueAt(c, i));
        ids[k] = id;
      }
      out[static_cast<size_t>(i)] = st.SliceOf(ids);
    }
  }
  return Status::Ok();
}

Status Evaluation::State::AddClassification(const table::Table& batch, int64_t first_row) {
  const Column* label = batch.ColumnByName(options.label_column);
  if (label == nullptr) return Status::NotFound("no label column '" + options.label_column + "'");
  const Column* pred = nullptr;
  if (!derive_prediction && !options.prediction_column.empty()) {
    pred = batch.ColumnByName(options.prediction_column);
    if (pred == nullptr) {
      return Status::NotFound("no prediction column '" + options.prediction_column + "'");
    }
  }
  std::vector<const Column*> scores;
  CAIRN_RETURN_IF_ERROR(FindScoreColumns(batch, &scores));
  for (const Column* c : {label, pred}) {
    if (c == nullptr) continue;
    const std::string& name = c == label ? options.label_column : options.prediction_column;
    TypeKind kind = c->type().kind;
    if (kind == TypeKind::kInt64 || kind == TypeKind::kBool) {
      CAIRN_RETURN_IF_ERROR(SetLabelKind(LabelKind::kInt));
    } else if (kind == TypeKind::kString) {
      CAIRN_RETURN_IF_ERROR(SetLabelKind(LabelKind::kString));
    } else {
      return Status::InvalidArgument("column '" + name + "': classes must be int64, bool or " +
                                     "string, not " + c->type().ToString());
    }
  }
  std::vector<std::vector<int>> slice_ids;
  CAIRN_RETURN_IF_ERROR(ResolveSlices(batch, &slice_ids));
  bool ints = label_kind == LabelKind::kInt;
  std::vector<double> row_scores_buf(scores.size());
  auto class_of = [&](const Column* c, int64_t i) {
    if (c->type().kind == TypeKind::kBool) return ClassIndexOfInt(c->Bool(i) ? 1 : 0);
    return ints ? ClassIndexOfInt(c->Int(i)) : ClassIndex(c->String(i));
  };
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    int64_t row = first_row + i + 1;
    for (const Column* c : {label, pred}) {
      if (c != nullptr && c->IsNull(i)) {
        return Status::InvalidArgument(
            RowText(row) + ": column '" +
            (c == label ? options.label_column : options.prediction_column) + "' is null");
      }
    }
    CAIRN_RETURN_IF_ERROR(ReadScores(scores, i, row, &row_scores_buf));
    int t = class_of(label, i);
    int p = 0;
    if (pred != nullptr) {
      p = class_of(pred, i);
    } else if (derive_prediction) {
      if (options.task == Task::kBinary) {
        int negative = 1 - positive;
        p = row_scores_buf[0] > options.threshold ? positive : negative;
      } else {
        p = static_cast<int>(std::max_element(row_scores_buf.begin(), row_scores_buf.end()) -
                             row_scores_buf.begin());
      }
    }
    if (t < 0 || p < 0) {
      const Column* c = t < 0 ? label : pred;
      return Status::InvalidArgument(
          RowText(row) + ": column '" +
          (c == label ? options.label_column : options.prediction_column) + "': class '" +
          c->Format(i) + "' is not in the class list");
    }
    if (options.task == Task::kBinary && class_names.size() > 2) {
      return Status::InvalidArgument(RowText(row) + ": a third class '" + class_names.back() +
                                     "' in a binary evaluation");
    }
    Count(&overall, t, p);
    for (size_t s = 0; s < slicings.size(); ++s) {
      Count(&slicings[s].states[static_cast<size_t>(slice_ids[s][static_cast<size_t>(i)])], t, p);
    }
    if (needs_rows) {
      row_label.push_back(t);
      StoreRow(row_scores_buf, slice_ids, i);
    }
  }
  return Status::Ok();
}

Status Evaluation::State::AddRegression(const table::Table& batch, int64_t first_row) {
  const Column* label = batch.ColumnByName(options.label_column);
  if (label == nullptr) return Status::NotFound("no label column '" + options.label_column + "'");
  const Column* pred = batch.ColumnByName(options.prediction_column);
  if (pred == nullptr) {
    return Status::NotFound("no prediction column '" + options.prediction_column + "'");
  }
  for (const Column* c : {label, pred}) {
    TypeKind kind = c->type().kind;
    if (kind != TypeKind::kInt64 && kind != TypeKind::kFloat64) {
      return Status::InvalidArgument(
          "column '" + (c == label ? options.label_column : options.prediction_column) +
          "': regression values must be numeric, not " + c->type().ToString());
    }
  }
  std::vector<std::vector<int>> slice_ids;
  CAIRN_RETURN_IF_ERROR(ResolveSlices(batch, &slice_ids));
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    double v[2];
    for (int k = 0; k < 2; ++k) {
      const Column* c = k == 0 ? label : pred;
      const std::string& name = k == 0 ? options.label_column : options.prediction_column;
      if (c->IsNull(i)) {
        return Status::InvalidArgument(RowText(first_row + i + 1) + ": column '" + name +
                                       "' is null");
      }
      v[k] = c->type().kind == TypeKind::kInt64 ? static_cast<double>(c->Int(i)) : c->Double(i);
      if (!std::isfinite(v[k])) {
        return Status::InvalidArgument(RowText(first_row + i + 1) + ": column '" + name + "' is " +
                                       c->Format(i) + " (values must be finite)");
      }
    }
    ++overall.rows;
    row_value.push_back(v[0]);
    row_prediction.push_back(v[1]);
    for (size_t s = 0; s < slicings.size(); ++s) {
      int slice = slice_ids[s][static_cast<size_t>(i)];
      ++slicings[s].states[static_cast<size_t>(slice)].rows;
      row_slice[s].push_back(static_cast<uint32_t>(slice));
    }
  }
  return Status::Ok();
}

Status Evaluation::Add(const table::Table& batch) { return Add(batch, s_->overall.rows); }

Status Evaluation::State::AddMultilabel(const table::Table& batch, int64_t first_row) {
  size_t k = class_names.size();
  auto find = [&](const std::vector<std::string>& names, const char* what,
                  std::vector<const Column*>* out) -> Status {
    for (const std::string& name : names) {
      const Column* c = batch.ColumnByName(name);
      if (c == nullptr)
        return Status::NotFound(std::string("no ") + what + " column '" + name + "'");
      TypeKind kind = c->type().kind;
      if (kind != TypeKind::kInt64 && kind != TypeKind::kBool) {
        return Status::InvalidArgument(std::string(what) + " column '" + name +
                                       "' must hold 0/1 (int64 or bool), not " +
                                       c->type().ToString());
      }
      out->push_back(c);
    }
    return Status::Ok();
  };
  std::vector<const Column*> labels;
  std::vector<const Column*> preds;
  CAIRN_RETURN_IF_ERROR(find(options.label_columns, "label", &labels));
  CAIRN_RETURN_IF_ERROR(find(options.prediction_columns, "prediction", &preds));
  std::vector<const Column*> scores;
  if (needs_rows) CAIRN_RETURN_IF_ERROR(FindScoreColumns(batch, &scores));
  std::vector<std::vector<int>> slice_ids;
  CAIRN_RETURN_IF_ERROR(ResolveSlices(batch, &slice_ids));
  bool counts = plan.Needs(Intermediate::kMultilabel);
  auto bit = [&](const Column* c, const std::string& name, int64_t i, bool* v) -> Status {
    if (c->IsNull(i)) {
      return Status::InvalidArgument(RowText(first_row + i + 1) + ": column '" + name +
                                     "' is null");
    }
    int64_t x = c->type().kind == TypeKind::kBool ? (c->Bool(i) ? 1 : 0) : c->Int(i);
    if (x != 0 && x != 1) {
      return Status::InvalidArgument(RowText(first_row + i + 1) + ": column '" + name + "' is " +
                                     std::to_string(x) + " (expected 0 or 1)");
    }
    *v = x == 1;
    return Status::Ok();
  };
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    uint64_t mask = 0;
    std::array<int64_t, 3> row{0, 0, 0};
    std::vector<std::array<int64_t, 3>> per_class(counts ? k : 0);
    for (size_t c = 0; c < k; ++c) {
      bool y = false;
      CAIRN_RETURN_IF_ERROR(bit(labels[c], options.label_columns[c], i, &y));
      if (y && c < 64) mask |= uint64_t{1} << c;
      if (!counts) continue;
      bool p = false;
      CAIRN_RETURN_IF_ERROR(bit(preds[c], options.prediction_columns[c], i, &p));
      per_class[c] = {y && p ? 1 : 0, !y && p ? 1 : 0, y && !p ? 1 : 0};
      for (int j = 0; j < 3; ++j)
        row[static_cast<size_t>(j)] += per_class[c][static_cast<size_t>(j)];
    }
    std::vector<double> row_scores_buf(scores.size());
    CAIRN_RETURN_IF_ERROR(ReadScores(scores, i, first_row + i + 1, &row_scores_buf));
    auto count = [&](SliceState* st) {
      ++st->rows;
      if (!counts) return;
      MultilabelCounts& m = st->multilabel;
      if (m.tp.size() < k) {
        m.tp.resize(k);
        m.fp.resize(k);
        m.fn.resize(k);
      }
      for (size_t c = 0; c < k; ++c) {
        m.tp[c] += per_class[c][0];
        m.fp[c] += per_class[c][1];
        m.fn[c] += per_class[c][2];
      }
      if (row[1] == 0 && row[2] == 0) ++m.exact;
      ++m.row_counts[row];
    };
    count(&overall);
    for (size_t sl = 0; sl < slicings.size(); ++sl) {
      count(&slicings[sl].states[static_cast<size_t>(slice_ids[sl][static_cast<size_t>(i)])]);
    }
    if (needs_rows) {
      row_label_mask.push_back(mask);
      StoreRow(row_scores_buf, slice_ids, i);
    }
  }
  return Status::Ok();
}

Status Evaluation::Add(const table::Table& batch, int64_t first_row) {
  if (s_->options.task == Task::kMultilabel) return s_->AddMultilabel(batch, first_row);
  return s_->classification ? s_->AddClassification(batch, first_row)
                            : s_->AddRegression(batch, first_row);
}

Status Evaluation::Merge(const Evaluation& other_eval) {
  State& a = *s_;
  const State& b = *other_eval.s_;
  if (a.options.task != b.options.task || a.options.label_column != b.options.label_column ||
      a.options.prediction_column != b.options.prediction_column ||
      a.options.score_columns != b.options.score_columns ||
      a.options.positive_class != b.options.positive_class ||
      a.options.classes != b.options.classes || a.options.slicings != b.options.slicings ||
      a.options.label_columns != b.options.label_columns ||
      a.options.prediction_columns != b.options.prediction_columns ||
      a.options.threshold != b.options.threshold) {
    return Status::InvalidArgument(
        "cannot merge evaluations of different tasks, columns, classes or slicings");
  }
  if (a.plan.requests != b.plan.requests || a.plan.formula_texts != b.plan.formula_texts) {
    return Status::InvalidArgument("cannot merge evaluations of different metrics");
  }
  if (b.label_kind != State::LabelKind::kUnknown) {
    CAIRN_RETURN_IF_ERROR(a.SetLabelKind(b.label_kind));
  }
  // Classes and slices of `b` map to ours by name; new ones are appended.
  std::vector<int> class_map;
  class_map.reserve(b.class_names.size());
  for (const std::string& name : b.class_names) class_map.push_back(a.ClassIndex(name));
  if (a.label_kind == State::LabelKind::kInt) {
    for (const auto& [value, index] : b.int_class_index) {
      a.int_class_index.emplace(value, class_map[static_cast<size_t>(index)]);
    }
  }
  if (a.options.task == Task::kBinary && a.class_names.size() > 2) {
    return Status::InvalidArgument("the merged evaluations have more than two classes");
  }
  int n = static_cast<int>(a.class_names.size());
  auto merge_state = [&](SliceState* into, const SliceState& from) -> Status {
    into->rows += from.rows;
    into->multilabel.Merge(from.multilabel);
    if (!a.needs_confusion) return Status::Ok();
    into->confusion.Resize(n);
    return into->confusion.Merge(from.confusion.Remapped(class_map, n));
  };
  CAIRN_RETURN_IF_ERROR(merge_state(&a.overall, b.overall));
  std::vector<std::vector<int>> slice_maps(a.slicings.size());
  for (size_t s = 0; s < a.slicings.size(); ++s) {
    SlicingState& sa = a.slicings[s];
    const SlicingState& sb = b.slicings[s];
    std::vector<std::vector<int>> value_maps(sb.dictionaries.size());
    for (size_t k = 0; k < sb.dictionaries.size(); ++k) {
      for (const SliceValue& v : sb.dictionaries[k].values) {
        value_maps[k].push_back(sa.dictionaries[k].Intern(v));
      }
    }
    for (size_t i = 0; i < sb.slice_values.size(); ++i) {
      std::vector<int> ids;
      for (size_t k = 0; k < sb.slice_values[i].size(); ++k) {
        ids.push_back(value_maps[k][static_cast<size_t>(sb.slice_values[i][k])]);
      }
      int slice = sa.SliceOf(ids);
      slice_maps[s].push_back(slice);
      CAIRN_RETURN_IF_ERROR(merge_state(&sa.states[static_cast<size_t>(slice)], sb.states[i]));
    }
  }
  if (a.needs_rows) {
    for (int32_t t : b.row_label) a.row_label.push_back(class_map[static_cast<size_t>(t)]);
    a.row_label_mask.insert(a.row_label_mask.end(), b.row_label_mask.begin(),
                            b.row_label_mask.end());
    for (size_t k = 0; k < a.row_scores.size(); ++k) {
      a.row_scores[k].insert(a.row_scores[k].end(), b.row_scores[k].begin(), b.row_scores[k].end());
    }
    a.row_value.insert(a.row_value.end(), b.row_value.begin(), b.row_value.end());
    a.row_prediction.insert(a.row_prediction.end(), b.row_prediction.begin(),
                            b.row_prediction.end());
    for (size_t s = 0; s < a.slicings.size(); ++s) {
      for (uint32_t slice : b.row_slice[s]) {
        a.row_slice[s].push_back(static_cast<uint32_t>(slice_maps[s][slice]));
      }
    }
  }
  return Status::Ok();
}

std::vector<RankingStats> Evaluation::State::ComputeRankings(const std::vector<int>& new_index,
                                                             int threads) const {
  int groups = NumGroups();
  std::vector<int> bases = GroupBases();
  size_t n = StoredRows();
  int num_classes = static_cast<int>(class_names.size());
  std::vector<RankingStats> out(static_cast<size_t>(groups));
  for (RankingStats& r : out) {
    r.classes.resize(static_cast<size_t>(num_classes));
    if (options.task == Task::kBinary) r.positive_class = new_index[static_cast<size_t>(positive)];
  }
  // Rows and label counts per group.
  std::vector<int64_t> label_counts(static_cast<size_t>(groups) * static_cast<size_t>(num_classes));
  std::vector<int64_t> group_rows(static_cast<size_t>(groups));
  bool multilabel = options.task == Task::kMultilabel;
  for (size_t r = 0; r < n; ++r) {
    ForEachGroup(r, bases, [&](int g) {
      ++group_rows[static_cast<size_t>(g)];
      size_t base = static_cast<size_t>(g) * static_cast<size_t>(num_classes);
      if (!multilabel) {
        ++label_counts[base + static_cast<size_t>(row_label[r])];
        return;
      }
      for (int c = 0; c < num_classes; ++c) {
        if (IsPositive(r, c)) ++label_counts[base + static_cast<size_t>(c)];
      }
    });
  }
  // The ranked classes: each class's score column, or the positive class's for binary.
  std::vector<std::pair<int, const std::vector<double>*>> ranked;
  if (options.task == Task::kBinary) {
    if (positive >= 0) ranked.emplace_back(positive, &row_scores[0]);
  } else {
    for (int c = 0; c < num_classes; ++c) {
      ranked.emplace_back(c, &row_scores[static_cast<size_t>(c)]);
    }
  }
  // When the slices of all slicings fit in a 31-bit code, each row's sort payload carries
  // its code and whether it is positive, so the walk over the sorted rows reads nothing else;
  // otherwise the payload is the row number.
  uint64_t num_codes = 1;
  for (const SlicingState& st : slicings) num_codes *= std::max<uint64_t>(st.states.size(), 1);
  size_t num_slicings = slicings.size();
  bool packed = num_codes < (uint64_t{1} << 31) && num_codes * num_slicings <= (1U << 24);
  std::vector<uint32_t> row_code;
  std::vector<int> code_groups;  // code -> group of each slicing
  if (packed && num_slicings > 0) {
    row_code.assign(n, 0);
    uint64_t stride = 1;
    for (size_t sl = 0; sl < num_slicings; ++sl) {
      for (size_t r = 0; r < n; ++r) {
        row_code[r] += static_cast<uint32_t>(row_slice[sl][r] * stride);
      }
      stride *= std::max<uint64_t>(slicings[sl].states.size(), 1);
    }
    code_groups.resize(num_codes * num_slicings);
    for (uint64_t code = 0; code < num_codes; ++code) {
      uint64_t rest = code;
      for (size_t sl = 0; sl < num_slicings; ++sl) {
        uint64_t size = std::max<uint64_t>(slicings[sl].states.size(), 1);
        code_groups[code * num_slicings + sl] = bases[sl] + static_cast<int>(rest % size);
        rest /= size;
      }
    }
  }
  ParallelFor(static_cast<int64_t>(ranked.size()), threads, [&](int64_t k) {
    int c = ranked[static_cast<size_t>(k)].first;
    const std::vector<double>& score = *ranked[static_cast<size_t>(k)].second;
    std::vector<uint32_t> payload(n);
    for (size_t r = 0; r < n; ++r) {
      if (packed) {
        uint32_t code = num_slicings > 0 ? row_code[r] : 0;
        payload[r] = (code << 1) | (IsPositive(r, c) ? 1U : 0U);
      } else {
        payload[r] = static_cast<uint32_t>(r);
      }
    }
    std::vector<uint64_t> keys = SortDescendingWithPayload(score.data(), &payload);
    std::vector<RankAccumulator> acc(static_cast<size_t>(groups));
    std::vector<int64_t> pos(static_cast<size_t>(groups));
    std::vector<int64_t> neg(static_cast<size_t>(groups));
    for (int g = 0; g < groups; ++g) {
      pos[static_cast<size_t>(g)] =
          label_counts[static_cast<size_t>(g) * static_cast<size_t>(num_classes) +
                       static_cast<size_t>(c)];
      neg[static_cast<size_t>(g)] =
          group_rows[static_cast<size_t>(g)] - pos[static_cast<size_t>(g)];
      acc[static_cast<size_t>(g)].pr_best.assign(kCurvePoints, 0.0);
      acc[static_cast<size_t>(g)].roc_best.assign(kCurvePoints, 0.0);
    }
    auto visit = [&](int g, uint64_t key, bool is_pos) {
      RankAccumulator& a = acc[static_cast<size_t>(g)];
      if (a.open && a.key != key) {
        FlushBlock(&a, pos[static_cast<size_t>(g)], neg[static_cast<size_t>(g)]);
      }
      a.open = true;
      a.key = key;
      if (is_pos) {
        ++a.block_pos;
      } else {
        ++a.block_neg;
      }
    };
    for (size_t i = 0; i < n; ++i) {
      uint64_t key = keys[i];
      uint32_t p = payload[i];
      if (packed) {
        bool is_pos = (p & 1U) != 0;
        visit(0, key, is_pos);
        const int* groups_of_code = code_groups.data() + static_cast<size_t>(p >> 1) * num_slicings;
        for (size_t sl = 0; sl < num_slicings; ++sl) visit(groups_of_code[sl], key, is_pos);
      } else {
        bool is_pos = IsPositive(p, c);
        ForEachGroup(p, bases, [&](int g) { visit(g, key, is_pos); });
      }
    }
    for (int g = 0; g < groups; ++g) {
      RankAccumulator& a = acc[static_cast<size_t>(g)];
      FlushBlock(&a, pos[static_cast<size_t>(g)], neg[static_cast<size_t>(g)]);
      ClassRanking cr;
      cr.positives = pos[static_cast<size_t>(g)];
      cr.negatives = neg[static_cast<size_t>(g)];
      cr.auc_twice = a.auc_twice;
      cr.average_precision =
          cr.positives > 0 ? a.ap.Value() / static_cast<double>(cr.positives) : 0.0;
      cr.pr_precision.assign(kCurvePoints, 0.0);
      double best = 0;
      for (int i = kCurvePoints - 1; i >= 0; --i) {
        best = std::max(best, a.pr_best[static_cast<size_t>(i)]);
        cr.pr_precision[static_cast<size_t>(i)] = best;
      }
      cr.roc_tpr.assign(kCurvePoints, 0.0);
      best = 0;
      for (int i = 0; i < kCurvePoints; ++i) {
        best = std::max(best, a.roc_best[static_cast<size_t>(i)]);
        cr.roc_tpr[static_cast<size_t>(i)] = best;
      }
      out[static_cast<size_t>(g)].classes[static_cast<size_t>(new_index[static_cast<size_t>(c)])] =
          std::move(cr);
    }
  });
  return out;
}

std::vector<ProbabilityStats> Evaluation::State::ComputeProbabilities(
    const std::vector<int>& new_index, int threads) const {
  int groups = NumGroups();
  std::vector<int> bases = GroupBases();
  size_t n = row_label.size();
  int num_classes = static_cast<int>(class_names.size());
  bool binary = options.task == Task::kBinary;
  // The calibration bin counts requested (the `bins` parameter of the planned metrics).
  std::vector<int> bin_counts;
  for (const PlannedMetric& m : plan.metrics) {
    auto it = m.spec.params.find("bins");
    if (it == m.spec.params.end()) continue;
    auto deps = m.metric->dependencies();
    if (std::find(deps.begin(), deps.end(), Intermediate::kProbability) == deps.end()) continue;
    int bins = static_cast<int>(it->second);
    if (std::find(bin_counts.begin(), bin_counts.end(), bins) == bin_counts.end()) {
      bin_counts.push_back(bins);
    }
  }
  auto fresh = [&]() {
    std::vector<ProbabilityAccumulator> acc(static_cast<size_t>(groups));
    for (ProbabilityAccumulator& a : acc) {
      a.rank_counts.assign(static_cast<size_t>(std::max(num_classes, 2)), 0);
      for (int bins : bin_counts) a.calibration[bins].resize(static_cast<size_t>(bins));
    }
    return acc;
  };
  int chunks =
      std::max(1, std::min<int>(ResolveThreads(threads) * 4, static_cast<int>(n / 65536) + 1));
  std::vector<std::vector<ProbabilityAccumulator>> partial(static_cast<size_t>(chunks));
  // The output-order position of every class: the tie order of ranks follows it.
  ParallelFor(chunks, threads, [&](int64_t chunk) {
    std::vector<ProbabilityAccumulator> acc = fresh();
    size_t begin = n * static_cast<size_t>(chunk) / static_cast<size_t>(chunks);
    size_t end = n * static_cast<size_t>(chunk + 1) / static_cast<size_t>(chunks);
    std::vector<double> p(static_cast<size_t>(std::max(num_classes, 2)));
    for (size_t r = begin; r < end; ++r) {
      int t = row_label[r];
      double loss = 0;
      double brier = 0;
      int rank = 0;
      bool threshold_hit = false;
      if (binary) {
        double s = row_scores[0][r];
        bool is_pos = t == positive;
        // scikit-learn's log_loss: clip the positive score, then [1 - p, p], renormalized.
        double clipped = std::clamp(s, DBL_EPSILON, 1 - DBL_EPSILON);
        double p_neg = 1 - clipped;
        double sum = p_neg + clipped;
        loss = -std::log((is_pos ? clipped : p_neg) / sum);
        double y = is_pos ? 1.0 : 0.0;
        brier = (y - s) * (y - s);
        threshold_hit = (s > 0.5) == is_pos;
        std::fill(p.begin(), p.end(), 0.0);
        int neg_class = 1 - positive;
        p[static_cast<size_t>(positive)] = s;
        if (neg_class >= 0 && neg_class < static_cast<int>(p.size())) {
          p[static_cast<size_t>(neg_class)] = 1 - s;
        }
      } else {
        double sum = 0;
        for (int k = 0; k < num_classes; ++k) {
          double v = row_scores[static_cast<size_t>(k)][r];
          p[static_cast<size_t>(k)] = v;
          sum += std::clamp(v, DBL_EPSILON, 1 - DBL_EPSILON);
          double y = k == t ? 1.0 : 0.0;
          brier += (v - y) * (v - y);
        }
        double pt = std::clamp(p[static_cast<size_t>(t)], DBL_EPSILON, 1 - DBL_EPSILON);
        loss = -std::log(pt / sum);
        // Rank of the label: classes scored higher, and equal ones later in class order.
        double st = p[static_cast<size_t>(t)];
        int pt_pos = new_index[static_cast<size_t>(t)];
        for (int k = 0; k < num_classes; ++k) {
          double v = p[static_cast<size_t>(k)];
          if (v > st || (v == st && new_index[static_cast<size_t>(k)] > pt_pos)) ++rank;
        }
      }
      // Top-class confidence; ties go to the first class in output order.
      int top = -1;
      double confidence = 0;
      int num = binary ? 2 : num_classes;
      for (int k = 0; k < num; ++k) {
        double v = p[static_cast<size_t>(k)];
        if (top < 0 || v > confidence ||
            (v == confidence &&
             new_index[static_cast<size_t>(k)] < new_index[static_cast<size_t>(top)])) {
          top = k;
          confidence = v;
        }
      }
      bool correct = top == t;
      ForEachGroup(r, bases, [&](int g) {
        ProbabilityAccumulator& a = acc[static_cast<size_t>(g)];
        ++a.rows;
        a.log_loss.Add(loss);
        a.brier.Add(brier);
        ++a.rank_counts[static_cast<size_t>(rank)];
        if (threshold_hit) ++a.threshold_hits;
        for (auto& [bins, list] : a.calibration) {
          ProbabilityAccumulator::Bin& bin =
              list[static_cast<size_t>(CalibrationBinOf(confidence, bins))];
          ++bin.count;
          bin.confidence.Add(confidence);
          if (correct) ++bin.correct;
        }
      });
    }
    partial[static_cast<size_t>(chunk)] = std::move(acc);
  });
  std::vector<ProbabilityAccumulator> total = fresh();
  for (const auto& part : partial) {
    for (int g = 0; g < groups; ++g)
      total[static_cast<size_t>(g)].Merge(part[static_cast<size_t>(g)]);
  }
  std::vector<ProbabilityStats> out(static_cast<size_t>(groups));
  for (int g = 0; g < groups; ++g) {
    const ProbabilityAccumulator& a = total[static_cast<size_t>(g)];
    ProbabilityStats& st = out[static_cast<size_t>(g)];
    st.rows = a.rows;
    st.log_loss_sum = a.log_loss.Value();
    st.brier_sum = a.brier.Value();
    st.rank_counts = a.rank_counts;
    st.binary_threshold_hits = a.threshold_hits;
    for (const auto& [bins, list] : a.calibration) {
      std::vector<CalibrationBin>& dst = st.calibration[bins];
      for (const auto& b : list) dst.push_back({b.count, b.confidence.Value(), b.correct});
    }
  }
  return out;
}

std::vector<RegressionStats> Evaluation::State::ComputeRegression() const {
  int groups = NumGroups();
  std::vector<int> bases = GroupBases();
  size_t n = row_value.size();
  struct Sums {
    int64_t rows = 0;
    ExactSum abs_error, squared_error, abs_percentage, value, error;
    double max_abs = 0;
  };
  std::vector<Sums> sums(static_cast<size_t>(groups));
  for (size_t r = 0; r < n; ++r) {
    double y = row_value[r];
    double e = y - row_prediction[r];
    double ae = std::fabs(e);
    double ape = ae / std::max(std::fabs(y), DBL_EPSILON);
    ForEachGroup(r, bases, [&](int g) {
      Sums& s = sums[static_cast<size_t>(g)];
      ++s.rows;
      s.abs_error.Add(ae);
      s.squared_error.Add(e * e);
      s.abs_percentage.Add(ape);
      s.value.Add(y);
      s.error.Add(e);
      s.max_abs = std::max(s.max_abs, ae);
    });
  }
  std::vector<double> mean_value(static_cast<size_t>(groups));
  std::vector<double> mean_error(static_cast<size_t>(groups));
  for (int g = 0; g < groups; ++g) {
    const Sums& s = sums[static_cast<size_t>(g)];
    double rows = static_cast<double>(std::max<int64_t>(s.rows, 1));
    mean_value[static_cast<size_t>(g)] = s.value.Value() / rows;
    mean_error[static_cast<size_t>(g)] = s.error.Value() / rows;
  }
  std::vector<ExactSum> deviation(static_cast<size_t>(groups));
  std::vector<ExactSum> error_deviation(static_cast<size_t>(groups));
  std::vector<double> abs_errors(n);
  for (size_t r = 0; r < n; ++r) {
    double y = row_value[r];
    double e = y - row_prediction[r];
    abs_errors[r] = std::fabs(e);
    ForEachGroup(r, bases, [&](int g) {
      double dy = y - mean_value[static_cast<size_t>(g)];
      double de = e - mean_error[static_cast<size_t>(g)];
      deviation[static_cast<size_t>(g)].Add(dy * dy);
      error_deviation[static_cast<size_t>(g)].Add(de * de);
    });
  }
  // Medians: one ascending order of the absolute errors, walked once for every group.
  std::vector<uint32_t> order = OrderAscending(abs_errors.data(), static_cast<uint32_t>(n));
  std::vector<int64_t> seen(static_cast<size_t>(groups));
  std::vector<double> low(static_cast<size_t>(groups));
  std::vector<double> high(static_cast<size_t>(groups));
  for (uint32_t r : order) {
    double v = abs_errors[r];
    ForEachGroup(r, bases, [&](int g) {
      int64_t rows = sums[static_cast<size_t>(g)].rows;
      int64_t at = seen[static_cast<size_t>(g)]++;
      if (at == (rows - 1) / 2) low[static_cast<size_t>(g)] = v;
      if (at == rows / 2) high[static_cast<size_t>(g)] = v;
    });
  }
  std::vector<RegressionStats> out(static_cast<size_t>(groups));
  for (int g = 0; g < groups; ++g) {
    const Sums& s = sums[static_cast<size_t>(g)];
    RegressionStats& st = out[static_cast<size_t>(g)];
    st.rows = s.rows;
    st.sum_abs_error = s.abs_error.Value();
    st.sum_squared_error = s.squared_error.Value();
    st.sum_abs_percentage_error = s.abs_percentage.Value();
    st.max_abs_error = s.max_abs;
    double lo = low[static_cast<size_t>(g)];
    double hi = high[static_cast<size_t>(g)];
    st.median_abs_error = s.rows % 2 == 1 ? lo : (lo + hi) / 2;
    st.sum_squared_deviation = deviation[static_cast<size_t>(g)].Value();
    st.sum_squared_error_deviation = error_deviation[static_cast<size_t>(g)].Value();
  }
  return out;
}

Result<EvaluationResult> Evaluation::Finish() const {
  const State& s = *s_;
  EvaluationResult result;
  result.task = std::string(TaskName(s.options.task));
  int n = static_cast<int>(s.class_names.size());
  // Output order of the classes: as given, or sorted.
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  if (s.options.classes.empty()) {
    if (s.label_kind == State::LabelKind::kInt) {
      std::vector<int64_t> values(static_cast<size_t>(n));
      for (const auto& [value, index] : s.int_class_index) {
        values[static_cast<size_t>(index)] = value;
      }
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return values[static_cast<size_t>(a)] < values[static_cast<size_t>(b)];
      });
    } else {
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return s.class_names[static_cast<size_t>(a)] < s.class_names[static_cast<size_t>(b)];
      });
    }
  }
  std::vector<int> new_index(static_cast<size_t>(n));
  for (int pos = 0; pos < n; ++pos) {
    new_index[static_cast<size_t>(order[static_cast<size_t>(pos)])] = pos;
    result.classes.push_back(s.class_names[static_cast<size_t>(order[static_cast<size_t>(pos)])]);
  }
  int positive = -1;
  if (s.options.task == Task::kBinary) {
    if (s.positive < 0) {
      return Status::InvalidArgument("the positive class '" + s.options.positive_class +
                                     "' never occurs and is not in the class list");
    }
    if (n < 2) {
      return Status::InvalidArgument(
          "a binary evaluation needs both classes; give the class list when one never occurs");
    }
    positive = new_index[static_cast<size_t>(s.positive)];
  }

  int threads = ResolveThreads(s.options.threads);
  std::vector<RankingStats> rankings;
  std::vector<ProbabilityStats> probabilities;
  std::vector<RegressionStats> regression;
  if (s.plan.Needs(Intermediate::kRanking)) rankings = s.ComputeRankings(new_index, threads);
  if (s.plan.Needs(Intermediate::kProbability)) {
    probabilities = s.ComputeProbabilities(new_index, threads);
  }
  if (s.plan.Needs(Intermediate::kRegression)) regression = s.ComputeRegression();

  auto outputs = [&](const SliceState& state, int group) -> Result<MetricOutputs> {
    ConfusionMatrix confusion;
    MetricContext ctx;
    ctx.classes = &result.classes;
    ctx.positive_class = positive;
    if (s.needs_confusion) {
      confusion = state.confusion.Remapped(new_index, n);
      ctx.confusion_matrix = &confusion;
    }
    if (!rankings.empty()) ctx.ranking = &rankings[static_cast<size_t>(group)];
    if (!probabilities.empty()) ctx.probability = &probabilities[static_cast<size_t>(group)];
    if (!regression.empty()) ctx.regression = &regression[static_cast<size_t>(group)];
    MultilabelStats multilabel;
    if (s.plan.Needs(Intermediate::kMultilabel)) {
      const MultilabelCounts& m = state.multilabel;
      multilabel.rows = state.rows;
      multilabel.tp = m.tp;
      multilabel.fp = m.fp;
      multilabel.fn = m.fn;
      for (auto* v : {&multilabel.tp, &multilabel.fp, &multilabel.fn}) {
        v->resize(static_cast<size_t>(n));
      }
      multilabel.exact_match = m.exact;
      multilabel.row_counts = m.row_counts;
      ctx.multilabel = &multilabel;
    }
    return ComputeMetrics(s.plan, ctx);
  };
  result.rows = s.overall.rows;
  CAIRN_ASSIGN_OR_RETURN(result.overall, outputs(s.overall, 0));

  std::vector<int> bases = s.GroupBases();
  for (size_t k = 0; k < s.slicings.size(); ++k) {
    const SlicingState& st = s.slicings[k];
    EvaluationResult::Slicing slicing;
    slicing.columns = st.columns;
    std::vector<size_t> slice_order(st.states.size());
    std::iota(slice_order.begin(), slice_order.end(), 0);
    std::sort(slice_order.begin(), slice_order.end(), [&](size_t a, size_t b) {
      for (size_t c = 0; c < st.columns.size(); ++c) {
        const SliceValue& x = st.dictionaries[c].values[static_cast<size_t>(st.slice_values[a][c])];
        const SliceValue& y = st.dictionaries[c].values[static_cast<size_t>(st.slice_values[b][c])];
        if (SliceValueLess(x, y)) return true;
        if (SliceValueLess(y, x)) return false;
      }
      return false;
    });
    for (size_t i : slice_order) {
      EvaluationResult::Slice slice;
      for (size_t c = 0; c < st.columns.size(); ++c) {
        slice.values.push_back(
            st.dictionaries[c].values[static_cast<size_t>(st.slice_values[i][c])].text);
      }
      slice.rows = st.states[i].rows;
      CAIRN_ASSIGN_OR_RETURN(slice.outputs, outputs(st.states[i], bases[k] + static_cast<int>(i)));
      slicing.slices.push_back(std::move(slice));
    }
    result.slicings.push_back(std::move(slicing));
  }
  return result;
}

namespace {

// Little-endian fields of the state format (docs/metrics.md, "Partial states").
constexpr std::string_view kStateMagic = "CAIRNEVALSTATE\n";
constexpr uint32_t kStateVersion = 1;

class Writer {
 public:
  template <typename T>
  void Put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));  // NOLINT: byte view
  }
  void PutString(std::string_view v) {
    Put<uint64_t>(v.size());
    out_.append(v);
  }
  void PutStrings(const std::vector<std::string>& v) {
    Put<uint64_t>(v.size());
    for (const std::string& x : v) PutString(x);
  }
  template <typename T>
  void PutArray(const std::vector<T>& v) {
    Put<uint64_t>(v.size());
    if (v.empty()) return;
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));  // NOLINT
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool GetString(std::string* v) {
    uint64_t n = 0;
    if (!Get(&n) || n > in_.size()) return false;
    v->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool GetStrings(std::vector<std::string>* v) {
    uint64_t n = 0;
    if (!Get(&n) || n > in_.size()) return false;
    v->resize(n);
    for (std::string& x : *v) {
      if (!GetString(&x)) return false;
    }
    return true;
  }
  template <typename T>
  bool GetArray(std::vector<T>* v) {
    uint64_t n = 0;
    if (!Get(&n) || n > in_.size() / sizeof(T)) return false;
    v->resize(n);
    if (n > 0) std::memcpy(v->data(), in_.data(), n * sizeof(T));
    in_.remove_prefix(n * sizeof(T));
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void PutSliceState(Writer* w, const SliceState& st, bool confusion, int n) {
  w->Put<int64_t>(st.rows);
  const MultilabelCounts& m = st.multilabel;
  w->PutArray(m.tp);
  w->PutArray(m.fp);
  w->PutArray(m.fn);
  w->Put<int64_t>(m.exact);
  w->Put<uint64_t>(m.row_counts.size());
  for (const auto& [k, v] : m.row_counts) {
    for (int64_t x : k) w->Put<int64_t>(x);
    w->Put<int64_t>(v);
  }
  if (!confusion) return;
  for (int t = 0; t < n; ++t) {
    for (int p = 0; p < n; ++p) {
      w->Put<int64_t>(t < st.confusion.num_classes() && p < st.confusion.num_classes()
                          ? st.confusion.at(t, p)
                          : 0);
    }
  }
}

bool GetSliceState(Reader* r, SliceState* st, bool confusion, int n) {
  if (!r->Get(&st->rows) || st->rows < 0) return false;
  MultilabelCounts& m = st->multilabel;
  uint64_t entries = 0;
  if (!r->GetArray(&m.tp) || !r->GetArray(&m.fp) || !r->GetArray(&m.fn) ||
      m.fp.size() != m.tp.size() || m.fn.size() != m.tp.size() ||
      m.tp.size() > static_cast<size_t>(n) || !r->Get(&m.exact) || !r->Get(&entries)) {
    return false;
  }
  for (uint64_t i = 0; i < entries; ++i) {
    std::array<int64_t, 3> k{};
    int64_t v = 0;
    if (!r->Get(&k[0]) || !r->Get(&k[1]) || !r->Get(&k[2]) || !r->Get(&v) || v <= 0) {
      return false;
    }
    m.row_counts[k] += v;
  }
  if (!confusion) return true;
  st->confusion = ConfusionMatrix(n);
  for (int t = 0; t < n; ++t) {
    for (int p = 0; p < n; ++p) {
      int64_t c = 0;
      if (!r->Get(&c) || c < 0) return false;
      st->confusion.AddCount(t, p, c);
    }
  }
  return true;
}

}  // namespace

std::string Evaluation::SerializeState() const {
  const State& s = *s_;
  Writer w;
  w.Put<uint8_t>(static_cast<uint8_t>(s.options.task));
  w.PutString(s.options.label_column);
  w.PutString(s.options.prediction_column);
  w.PutStrings(s.options.score_columns);
  w.PutString(s.options.positive_class);
  w.PutStrings(s.options.classes);
  w.PutStrings(s.options.label_columns);
  w.PutStrings(s.options.prediction_columns);
  w.Put<double>(s.options.threshold);
  w.Put<uint64_t>(s.options.slicings.size());
  for (const auto& slicing : s.options.slicings) w.PutStrings(slicing);
  w.PutStrings(s.plan.requests);
  w.Put<uint64_t>(s.plan.formula_texts.size());
  for (const auto& [name, text] : s.plan.formula_texts) {
    w.PutString(name);
    w.PutString(text);
  }
  w.Put<uint8_t>(static_cast<uint8_t>(s.label_kind));
  w.PutStrings(s.class_names);
  int n = static_cast<int>(s.class_names.size());
  PutSliceState(&w, s.overall, s.needs_confusion, n);
  for (const SlicingState& st : s.slicings) {
    for (const ValueDictionary& dict : st.dictionaries) {
      w.Put<uint64_t>(dict.values.size());
      for (const SliceValue& v : dict.values) {
        w.Put<uint8_t>(static_cast<uint8_t>(v.kind));
        w.PutString(v.text);
        w.Put<int64_t>(v.int_value);
        w.Put<double>(v.float_value);
      }
    }
    w.Put<uint64_t>(st.slice_values.size());
    for (size_t i = 0; i < st.slice_values.size(); ++i) {
      for (int id : st.slice_values[i]) w.Put<uint32_t>(static_cast<uint32_t>(id));
      PutSliceState(&w, st.states[i], s.needs_confusion, n);
    }
  }
  w.PutArray(s.row_label);
  w.PutArray(s.row_label_mask);
  w.Put<uint64_t>(s.row_scores.size());
  for (const auto& col : s.row_scores) w.PutArray(col);
  w.PutArray(s.row_value);
  w.PutArray(s.row_prediction);
  for (const auto& col : s.row_slice) w.PutArray(col);

  std::string body = std::move(w.out());
  std::string out(kStateMagic);
  Writer header;
  header.Put<uint32_t>(kStateVersion);
  header.Put<uint64_t>(body.size());
  out += header.out();
  size_t bound = ZSTD_compressBound(body.size());
  size_t start = out.size();
  out.resize(start + bound);
  // The frame carries a checksum, so a damaged state is detected rather than merged.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  size_t size = ZSTD_compress2(cctx, out.data() + start, bound, body.data(), body.size());
  ZSTD_freeCCtx(cctx);
  out.resize(start + (ZSTD_isError(size) != 0 ? 0 : size));
  return out;
}

Result<Evaluation> Evaluation::DeserializeState(std::string_view bytes,
                                                const MetricRegistry& registry,
                                                std::string_view source) {
  auto damaged = [&](std::string_view what) {
    return Status::InvalidArgument(std::string(source) + ": not a cairn evaluation state (" +
                                   std::string(what) + ")");
  };
  if (bytes.substr(0, kStateMagic.size()) != kStateMagic) return damaged("wrong magic");
  Reader head(bytes.substr(kStateMagic.size()));
  uint32_t version = 0;
  uint64_t body_size = 0;
  if (!head.Get(&version) || !head.Get(&body_size)) return damaged("truncated header");
  if (version != kStateVersion) {
    return damaged("format version " + std::to_string(version) + ", this cairn reads " +
                   std::to_string(kStateVersion));
  }
  std::string_view compressed = bytes.substr(kStateMagic.size() + 12);
  unsigned long long frame = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (frame != body_size || body_size > (uint64_t{1} << 40)) return damaged("bad body size");
  std::string body(body_size, '\0');
  size_t got = ZSTD_decompress(body.data(), body.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(got) != 0 || got != body_size) return damaged("corrupt compressed body");

  Reader r(body);
  EvaluationOptions options;
  uint8_t task = 0;
  uint64_t num_slicings = 0;
  std::vector<std::string> requests;
  if (!r.Get(&task) || task > static_cast<uint8_t>(Task::kMultilabel) ||
      !r.GetString(&options.label_column) || !r.GetString(&options.prediction_column) ||
      !r.GetStrings(&options.score_columns) || !r.GetString(&options.positive_class) ||
      !r.GetStrings(&options.classes) || !r.GetStrings(&options.label_columns) ||
      !r.GetStrings(&options.prediction_columns) || !r.Get(&options.threshold) ||
      !(options.threshold >= 0 && options.threshold <= 1) || !r.Get(&num_slicings) ||
      num_slicings > 1024) {
    return damaged("bad options");
  }
  options.task = static_cast<Task>(task);
  options.slicings.resize(num_slicings);
  for (auto& slicing : options.slicings) {
    if (!r.GetStrings(&slicing)) return damaged("bad slicing");
  }
  if (!r.GetStrings(&requests)) return damaged("bad metric list");
  uint64_t num_formulas = 0;
  if (!r.Get(&num_formulas) || num_formulas > body_size) return damaged("bad formulas");
  std::vector<std::pair<std::string, std::string>> formulas(num_formulas);
  for (auto& [name, text] : formulas) {
    if (!r.GetString(&name) || !r.GetString(&text)) return damaged("bad formula");
  }
  auto plan = MakePlan(registry, requests, formulas);
  if (!plan.ok()) return plan.status().WithPrefix(std::string(source));
  auto made = Make(std::move(options), std::move(*plan));
  if (!made.ok()) return made.status().WithPrefix(std::string(source));
  Evaluation eval = std::move(*made);
  State& s = *eval.s_;
  uint8_t label_kind = 0;
  std::vector<std::string> class_names;
  if (!r.Get(&label_kind) || label_kind > static_cast<uint8_t>(State::LabelKind::kString) ||
      !r.GetStrings(&class_names)) {
    return damaged("bad classes");
  }
  if (!s.options.classes.empty() && class_names != s.options.classes) {
    return damaged("class list mismatch");
  }
  if (s.options.classes.empty()) {
    for (const std::string& c : class_names) {
      if (s.ClassIndex(c) != static_cast<int>(s.class_names.size()) - 1) {
        return damaged("duplicate class");
      }
    }
  }
  if (label_kind != 0) {
    Status st = s.SetLabelKind(static_cast<State::LabelKind>(label_kind));
    if (!st.ok()) return damaged(st.message());
  }
  int n = static_cast<int>(s.class_names.size());
  if (!GetSliceState(&r, &s.overall, s.needs_confusion, n)) return damaged("bad counts");
  for (SlicingState& st : s.slicings) {
    for (ValueDictionary& dict : st.dictionaries) {
      uint64_t count = 0;
      if (!r.Get(&count) || count > body_size) return damaged("bad slice values");
      for (uint64_t i = 0; i < count; ++i) {
        SliceValue v;
        uint8_t kind = 0;
        if (!r.Get(&kind) || kind > static_cast<uint8_t>(SliceValue::Kind::kNull) ||
            !r.GetString(&v.text) || !r.Get(&v.int_value) || !r.Get(&v.float_value)) {
          return damaged("bad slice value");
        }
        v.kind = static_cast<SliceValue::Kind>(kind);
        if (dict.Intern(v) != static_cast<int>(i)) return damaged("duplicate slice value");
      }
    }
    uint64_t slices = 0;
    if (!r.Get(&slices) || slices > body_size) return damaged("bad slices");
    for (uint64_t i = 0; i < slices; ++i) {
      std::vector<int> ids(st.columns.size());
      for (size_t k = 0; k < ids.size(); ++k) {
        uint32_t id = 0;
        if (!r.Get(&id) || id >= st.dictionaries[k].values.size()) return damaged("bad slice");
        ids[k] = static_cast<int>(id);
      }
      if (st.SliceOf(ids) != static_cast<int>(i)) return damaged("duplicate slice");
      if (!GetSliceState(&r, &st.states[i], s.needs_confusion, n)) return damaged("bad counts");
    }
  }
  uint64_t score_columns = 0;
  if (!r.GetArray(&s.row_label) || !r.GetArray(&s.row_label_mask) || !r.Get(&score_columns) ||
      score_columns != s.row_scores.size()) {
    return damaged("bad rows");
  }
  for (auto& col : s.row_scores) {
    if (!r.GetArray(&col)) return damaged("bad scores");
  }
  if (!r.GetArray(&s.row_value) || !r.GetArray(&s.row_prediction)) return damaged("bad values");
  for (auto& col : s.row_slice) {
    if (!r.GetArray(&col)) return damaged("bad row slices");
  }
  if (!r.done()) return damaged("trailing bytes");
  // Every per-row array must describe the same rows, with indices in range.
  size_t rows = s.needs_rows ? static_cast<size_t>(s.overall.rows) : 0;
  bool multilabel = s.options.task == Task::kMultilabel;
  bool ok = multilabel ? s.row_label_mask.size() == rows && s.row_label.empty()
            : s.classification
                ? s.row_label.size() == rows && s.row_value.empty() && s.row_label_mask.empty()
                : s.row_value.size() == rows && s.row_prediction.size() == rows &&
                      s.row_label.empty() && s.row_label_mask.empty();
  for (const auto& col : s.row_scores) ok = ok && col.size() == rows;
  for (int32_t t : s.row_label) ok = ok && t >= 0 && t < n;
  for (size_t k = 0; k < s.row_slice.size(); ++k) {
    ok = ok && s.row_slice[k].size() == rows;
    for (uint32_t v : s.row_slice[k]) ok = ok && v < s.slicings[k].states.size();
  }
  for (const auto& col : s.row_scores) {
    for (double v : col) ok = ok && std::isfinite(v);
  }
  if (!ok) return damaged("inconsistent rows");
  return eval;
}

}  // namespace cairn::metrics
