// An example cairn metric plugin: specificity (true negative rate) per class and its macro
// average, from the confusion matrix, and the false positive rate a class's ranking needs to
// reach a given recall, from the shared rankings.
//
// Build against the installed header and load it:
//   g++ -std=c++17 -O2 -shared -fPIC -I<prefix>/include specificity.cc -o libspecificity.so
//   cairn eval run --plugin ./libspecificity.so --metrics specificity,fpr_at_recall(recall=0.9) ...

#include <cairn/metric_plugin.h>

#include <cmath>
#include <cstdio>

namespace {

void SetNull(CairnMetricOutput* out, const char* why, const char* cls) {
  out->is_null = 1;
  std::snprintf(out->reason, sizeof(out->reason), "undefined: %s'%s'", why, cls);
}

// TN / (TN + FP) of one class, from the confusion matrix; false if no row is of another class.
bool Specificity(const CairnMetricInput* in, int c, double* value) {
  int n = in->num_classes;
  int64_t negatives = 0;
  int64_t false_positives = 0;
  for (int t = 0; t < n; ++t) {
    if (t == c) continue;
    for (int p = 0; p < n; ++p) {
      negatives += in->confusion[t * n + p];
      if (p == c) false_positives += in->confusion[t * n + p];
    }
  }
  if (negatives == 0) return false;
  *value = static_cast<double>(negatives - false_positives) / static_cast<double>(negatives);
  return true;
}

void ComputeSpecificity(const CairnMetricInput* in, int class_index, const double*,
                        CairnMetricOutput* out) {
  if (!Specificity(in, class_index, &out->value)) {
    SetNull(out, "no rows labelled other than ", in->classes[class_index]);
  }
}

void ComputeSpecificityMacro(const CairnMetricInput* in, int, const double*,
                             CairnMetricOutput* out) {
  double sum = 0;
  int count = 0;
  for (int c = 0; c < in->num_classes; ++c) {
    double v = 0;
    if (Specificity(in, c, &v)) {
      sum += v;
      ++count;
    }
  }
  if (count == 0) {
    SetNull(out, "no rows", "");
    return;
  }
  out->value = sum / count;
}

// The smallest false positive rate level (0, 0.01, ..., 1) at which the class's ranking
// reaches the requested recall.
void ComputeFprAtRecall(const CairnMetricInput* in, int class_index, const double* params,
                        CairnMetricOutput* out) {
  const CairnClassRanking& r = in->ranking[class_index];
  if (r.positives <= 0 || r.negatives <= 0) {
    SetNull(out, "needs rows labelled and not labelled ", in->classes[class_index]);
    return;
  }
  for (int i = 0; i <= 100; ++i) {
    if (r.roc_tpr[i] >= params[0]) {
      out->value = i / 100.0;
      return;
    }
  }
  out->value = 1.0;
}

const char* const kRecallParam[] = {"recall"};
const double kRecallDefault[] = {0.9};

const CairnMetricDef kMetrics[] = {
    {"specificity", "true negative rate of the class (example plugin)", CAIRN_NEEDS_CONFUSION, 1, 1,
     0, nullptr, nullptr, ComputeSpecificity},
    {"specificity_macro", "mean specificity over the classes (example plugin)",
     CAIRN_NEEDS_CONFUSION, 0, 1, 0, nullptr, nullptr, ComputeSpecificityMacro},
    {"fpr_at_recall", "false positive rate needed to reach a recall (example plugin)",
     CAIRN_NEEDS_RANKING, 1, 0, 1, kRecallParam, kRecallDefault, ComputeFprAtRecall},
};

}  // namespace

extern "C" int cairn_metric_plugin(int abi_version, const CairnMetricDef** defs, int* count) {
  if (abi_version != CAIRN_METRIC_PLUGIN_ABI) return 1;
  *defs = kMetrics;
  *count = static_cast<int>(sizeof(kMetrics) / sizeof(kMetrics[0]));
  return 0;
}
