/* cairn metric plugins: the one header a plugin is compiled against.
 *
 * A plugin is a shared library exporting
 *
 *   extern "C" int cairn_metric_plugin(int abi_version, const CairnMetricDef** defs,
 *                                      int* count);
 *
 * which returns 0 and points *defs at an array of *count metric definitions (static storage,
 * alive until the library is unloaded), or nonzero if it cannot serve `abi_version`.
 * cairn loads it with `--plugin lib.so`; its metrics are then requested by name like the
 * built-in ones, get the same slices, and read the same shared intermediates (computed once
 * per slice, whatever the number of metrics reading them).
 *
 * Plain C types only, so a plugin does not depend on the C++ library cairn was built with.
 * See examples/metric_plugin/ for a complete plugin.
 */
#ifndef CAIRN_METRIC_PLUGIN_H_
#define CAIRN_METRIC_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_METRIC_PLUGIN_ABI 1

/* What a metric reads (CairnMetricDef.needs, a bit set). */
#define CAIRN_NEEDS_CONFUSION 1u   /* the confusion matrix (needs label and prediction) */
#define CAIRN_NEEDS_RANKING 2u     /* per-class rankings of the scores */
#define CAIRN_NEEDS_PROBABILITY 4u /* log loss, Brier and top-k sums of the scores */
#define CAIRN_NEEDS_REGRESSION 8u  /* regression error sums */

/* One class ranked by its score against the rest, within one slice. */
typedef struct {
  int64_t positives; /* rows labelled with the class */
  int64_t negatives;
  double roc_auc;             /* NaN when positives or negatives is 0 */
  double average_precision;   /* NaN when positives is 0 */
  const double* pr_precision; /* 101 values: precision at recall 0, 0.01, ..., 1 */
  const double* roc_tpr;      /* 101 values: true positive rate at fpr 0, 0.01, ..., 1 */
} CairnClassRanking;

/* Everything a metric may read for one slice. Pointers are NULL when no planned metric
 * declared the matching need. */
typedef struct {
  int num_classes;
  const char* const* classes; /* class names, in output order */
  int positive_class;         /* binary evaluations: index of the positive class; else -1 */
  int64_t rows;               /* rows in the slice */
  /* CAIRN_NEEDS_CONFUSION: num_classes x num_classes counts, row = label, column = prediction,
   * row-major. */
  const int64_t* confusion;
  /* CAIRN_NEEDS_RANKING: num_classes entries; an entry with positives = negatives = -1 is a
   * class that is not ranked (binary evaluations rank the positive class only). */
  const CairnClassRanking* ranking;
  /* CAIRN_NEEDS_PROBABILITY */
  const double* log_loss_sum; /* sum over rows of -log p(label) (clipped as scikit-learn) */
  const double* brier_sum;    /* sum over rows of the squared score errors */
  const int64_t* rank_counts; /* num_classes entries: rows whose label ranks r among scores */
  /* CAIRN_NEEDS_REGRESSION: sums over rows of e = label - prediction */
  const double* sum_abs_error;
  const double* sum_squared_error;
  const double* sum_squared_deviation; /* sum of (label - mean label)^2 */
} CairnMetricInput;

/* The result of one computation: a number, or null with a reason. */
typedef struct {
  double value;
  int is_null;      /* nonzero: undefined on this slice; write why into `reason` */
  char reason[256]; /* NUL-terminated */
} CairnMetricOutput;

typedef struct {
  const char* name;    /* what users request; must not clash with another metric */
  const char* summary; /* one line for `cairn eval metrics` */
  uint32_t needs;      /* CAIRN_NEEDS_* bits */
  int per_class;       /* nonzero: one value per class (`name[class]`) */
  int higher_is_better;
  int num_params;                 /* parameters, requested as name(p=1.5) */
  const char* const* param_names; /* num_params names */
  const double* param_defaults;   /* num_params defaults; NaN = required */
  /* Computes the value for one slice. class_index is the class for per-class metrics and -1
   * otherwise; params holds num_params values in declaration order. Must be thread-safe. */
  void (*compute)(const CairnMetricInput* input, int class_index, const double* params,
                  CairnMetricOutput* out);
} CairnMetricDef;

typedef int (*CairnMetricPluginFn)(int abi_version, const CairnMetricDef** defs, int* count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAIRN_METRIC_PLUGIN_H_ */
