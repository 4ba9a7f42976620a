#include "metrics/evaluation.h"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "base/json.h"
#include "table/column.h"

namespace cairn::metrics {
namespace {

using table::Column;
using table::TypeKind;

bool ParseInt(std::string_view text, int64_t* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

ClassificationEvaluation::ClassificationEvaluation(ClassificationOptions options, Plan plan)
    : options_(std::move(options)), plan_(std::move(plan)) {}

Result<ClassificationEvaluation> ClassificationEvaluation::Make(ClassificationOptions options,
                                                                Plan plan) {
  for (InputRole role : plan.inputs) {
    if (role == InputRole::kLabel && options.label_column.empty()) {
      return Status::InvalidArgument("the metrics need a label column");
    }
    if (role == InputRole::kPrediction && options.prediction_column.empty()) {
      return Status::InvalidArgument("the metrics need a prediction column");
    }
  }
  ClassificationEvaluation eval(std::move(options), std::move(plan));
  for (const std::string& c : eval.options_.classes) {
    if (eval.class_index_.count(c) > 0) {
      return Status::InvalidArgument("class list: '" + c + "' given twice");
    }
    eval.class_index_.emplace(c, static_cast<int>(eval.class_names_.size()));
    eval.class_names_.push_back(c);
  }
  return eval;
}

Status ClassificationEvaluation::SetLabelKind(LabelKind kind) {
  if (label_kind_ == kind) return Status::Ok();
  if (label_kind_ != LabelKind::kUnknown) {
    return Status::InvalidArgument("columns '" + options_.label_column + "' and '" +
                                   options_.prediction_column +
                                   "': integer and string classes cannot be mixed");
  }
  label_kind_ = kind;
  if (kind == LabelKind::kInt) {
    for (size_t i = 0; i < class_names_.size(); ++i) {
      int64_t value = 0;
      if (!ParseInt(class_names_[i], &value)) {
        return Status::InvalidArgument("class list: '" + class_names_[i] +
                                       "' is not an integer, but the class columns are int64");
      }
      int_class_index_[value] = static_cast<int>(i);
    }
  }
  return Status::Ok();
}

int ClassificationEvaluation::ClassIndex(std::string_view text) {
  auto it = class_index_.find(text);
  if (it != class_index_.end()) return it->second;
  if (!options_.classes.empty()) return -1;
  int index = static_cast<int>(class_names_.size());
  class_names_.emplace_back(text);
  class_index_.emplace(std::string(text), index);
  return index;
}

int ClassificationEvaluation::ClassIndexOfInt(int64_t value) {
  auto it = int_class_index_.find(value);
  if (it != int_class_index_.end()) return it->second;
  int index = ClassIndex(std::to_string(value));
  if (index >= 0) int_class_index_.emplace(value, index);
  return index;
}

int ClassificationEvaluation::SliceIndex(const SliceKey& key) {
  auto it = slice_index_.find(key.text);
  if (it != slice_index_.end()) return it->second;
  int index = static_cast<int>(slice_keys_.size());
  slice_keys_.push_back(key);
  slices_.emplace_back();
  slice_index_.emplace(key.text, index);
  return index;
}

void ClassificationEvaluation::Count(SliceState* state, int t, int p) const {
  ++state->rows;
  if (!plan_.Needs(Intermediate::kConfusionMatrix)) return;
  int n = static_cast<int>(class_names_.size());
  if (state->confusion.num_classes() < n) state->confusion.Resize(n);
  state->confusion.Add(t, p);
}

Status ClassificationEvaluation::Add(const table::Table& batch) {
  const Column* label = batch.ColumnByName(options_.label_column);
  if (label == nullptr) {
    return Status::NotFound("no label column '" + options_.label_column + "'");
  }
  const Column* pred = batch.ColumnByName(options_.prediction_column);
  if (pred == nullptr) {
    return Status::NotFound("no prediction column '" + options_.prediction_column + "'");
  }
  const Column* slice = nullptr;
  if (!options_.slice_column.empty()) {
    slice = batch.ColumnByName(options_.slice_column);
    if (slice == nullptr) {
      return Status::NotFound("no slice column '" + options_.slice_column + "'");
    }
  }
  for (const Column* c : {label, pred}) {
    const std::string& name = c == label ? options_.label_column : options_.prediction_column;
    if (c->type().kind == TypeKind::kInt64) {
      CAIRN_RETURN_IF_ERROR(SetLabelKind(LabelKind::kInt));
    } else if (c->type().kind == TypeKind::kString) {
      CAIRN_RETURN_IF_ERROR(SetLabelKind(LabelKind::kString));
    } else {
      return Status::InvalidArgument(
          "column '" + name + "': classes must be int64 or string, not " + c->type().ToString());
    }
  }
  bool ints = label_kind_ == LabelKind::kInt;
  int64_t first_row = overall_.rows;
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    for (const Column* c : {label, pred}) {
      if (c->IsNull(i)) {
        return Status::InvalidArgument(
            "row " + std::to_string(first_row + i + 1) + ": column '" +
            (c == label ? options_.label_column : options_.prediction_column) + "' is null");
      }
    }
    int t = ints ? ClassIndexOfInt(label->Int(i)) : ClassIndex(label->String(i));
    int p = ints ? ClassIndexOfInt(pred->Int(i)) : ClassIndex(pred->String(i));
    if (t < 0 || p < 0) {
      const Column* c = t < 0 ? label : pred;
      return Status::InvalidArgument(
          "row " + std::to_string(first_row + i + 1) + ": column '" +
          (c == label ? options_.label_column : options_.prediction_column) + "': class '" +
          c->Format(i) + "' is not in the class list");
    }
    Count(&overall_, t, p);
    if (slice != nullptr) {
      SliceKey key;
      key.is_null = slice->IsNull(i);
      if (key.is_null) {
        key.text = "null";
      } else if (slice->type().kind == TypeKind::kInt64) {
        key.is_int = true;
        key.int_value = slice->Int(i);
        key.text = std::to_string(key.int_value);
      } else if (slice->type().kind == TypeKind::kString) {
        key.text = std::string(slice->String(i));
      } else {
        key.text = slice->Format(i);
      }
      auto it = slice_index_.find(key.text);
      int index = it != slice_index_.end() ? it->second : SliceIndex(key);
      Count(&slices_[static_cast<size_t>(index)], t, p);
    }
  }
  return Status::Ok();
}

Status ClassificationEvaluation::Merge(const ClassificationEvaluation& other) {
  if (options_.label_column != other.options_.label_column ||
      options_.prediction_column != other.options_.prediction_column ||
      options_.classes != other.options_.classes ||
      options_.slice_column != other.options_.slice_column) {
    return Status::InvalidArgument("cannot merge evaluations of different columns or classes");
  }
  if (plan_.intermediates != other.plan_.intermediates) {
    return Status::InvalidArgument("cannot merge evaluations of different metrics");
  }
  if (other.label_kind_ != LabelKind::kUnknown) {
    CAIRN_RETURN_IF_ERROR(SetLabelKind(other.label_kind_));
  }
  // Classes and slices of `other` map to ours by name; new ones are appended.
  std::vector<int> class_map;
  class_map.reserve(other.class_names_.size());
  for (const std::string& name : other.class_names_) class_map.push_back(ClassIndex(name));
  if (label_kind_ == LabelKind::kInt) {
    for (const auto& [value, index] : other.int_class_index_) {
      int_class_index_.emplace(value, class_map[static_cast<size_t>(index)]);
    }
  }
  int n = static_cast<int>(class_names_.size());
  auto merge_state = [&](SliceState* into, const SliceState& from) -> Status {
    into->rows += from.rows;
    if (!plan_.Needs(Intermediate::kConfusionMatrix)) return Status::Ok();
    into->confusion.Resize(n);
    return into->confusion.Merge(from.confusion.Remapped(class_map, n));
  };
  CAIRN_RETURN_IF_ERROR(merge_state(&overall_, other.overall_));
  for (size_t i = 0; i < other.slices_.size(); ++i) {
    int index = SliceIndex(other.slice_keys_[i]);
    CAIRN_RETURN_IF_ERROR(merge_state(&slices_[static_cast<size_t>(index)], other.slices_[i]));
  }
  return Status::Ok();
}

Result<EvaluationResult> ClassificationEvaluation::Finish() const {
  EvaluationResult result;
  int n = static_cast<int>(class_names_.size());
  // Output order of the classes: as given, or sorted.
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  if (options_.classes.empty()) {
    if (label_kind_ == LabelKind::kInt) {
      std::vector<int64_t> values(static_cast<size_t>(n));
      for (const auto& [value, index] : int_class_index_)
        values[static_cast<size_t>(index)] = value;
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return values[static_cast<size_t>(a)] < values[static_cast<size_t>(b)];
      });
    } else {
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return class_names_[static_cast<size_t>(a)] < class_names_[static_cast<size_t>(b)];
      });
    }
  }
  std::vector<int> new_index(static_cast<size_t>(n));
  for (int pos = 0; pos < n; ++pos) {
    new_index[static_cast<size_t>(order[static_cast<size_t>(pos)])] = pos;
    result.classes.push_back(class_names_[static_cast<size_t>(order[static_cast<size_t>(pos)])]);
  }

  auto outputs = [&](const SliceState& state) -> Result<MetricOutputs> {
    ConfusionMatrix confusion;
    MetricContext ctx;
    ctx.classes = &result.classes;
    if (plan_.Needs(Intermediate::kConfusionMatrix)) {
      confusion = state.confusion.Remapped(new_index, n);
      ctx.confusion_matrix = &confusion;
    }
    return ComputeMetrics(plan_, ctx);
  };
  result.rows = overall_.rows;
  CAIRN_ASSIGN_OR_RETURN(result.overall, outputs(overall_));

  std::vector<size_t> slice_order(slices_.size());
  std::iota(slice_order.begin(), slice_order.end(), 0);
  std::sort(slice_order.begin(), slice_order.end(), [&](size_t a, size_t b) {
    const SliceKey& x = slice_keys_[a];
    const SliceKey& y = slice_keys_[b];
    if (x.is_null != y.is_null) return y.is_null;
    if (x.is_int && y.is_int) return x.int_value < y.int_value;
    return x.text < y.text;
  });
  if (!options_.slice_column.empty()) {
    EvaluationResult::Slicing slicing;
    slicing.columns = {options_.slice_column};
    for (size_t i : slice_order) {
      EvaluationResult::Slice slice;
      slice.values = {slice_keys_[i].text};
      slice.rows = slices_[i].rows;
      CAIRN_ASSIGN_OR_RETURN(slice.outputs, outputs(slices_[i]));
      slicing.slices.push_back(std::move(slice));
    }
    result.slicings.push_back(std::move(slicing));
  }
  return result;
}

}  // namespace cairn::metrics
