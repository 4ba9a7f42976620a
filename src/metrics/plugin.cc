#include "metrics/plugin.h"

#include <dlfcn.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cairn/metric_plugin.h"

namespace cairn::metrics {
namespace {

constexpr uint32_t kKnownNeeds =
    CAIRN_NEEDS_CONFUSION | CAIRN_NEEDS_RANKING | CAIRN_NEEDS_PROBABILITY | CAIRN_NEEDS_REGRESSION;

// A metric defined by a plugin: the engine's intermediates are handed over as plain C structs.
class PluginMetric final : public Metric {
 public:
  PluginMetric(const CairnMetricDef& def, std::string source)
      : def_(def), source_(std::move(source)) {
    for (int i = 0; i < def.num_params; ++i) {
      double d = def.param_defaults[i];
      params_.push_back({def.param_names[i],
                         std::isnan(d) ? std::nullopt : std::optional<double>(d),
                         "a parameter of " + source_});
    }
  }

  std::string_view name() const override { return def_.name; }
  std::string_view summary() const override { return def_.summary; }
  std::vector<InputRole> inputs() const override {
    std::vector<InputRole> roles = {InputRole::kLabel};
    if ((def_.needs & (CAIRN_NEEDS_CONFUSION | CAIRN_NEEDS_REGRESSION)) != 0) {
      roles.push_back(InputRole::kPrediction);
    }
    if ((def_.needs & (CAIRN_NEEDS_RANKING | CAIRN_NEEDS_PROBABILITY)) != 0) {
      roles.push_back(InputRole::kScores);
    }
    return roles;
  }
  std::vector<Intermediate> dependencies() const override {
    std::vector<Intermediate> deps;
    if ((def_.needs & CAIRN_NEEDS_CONFUSION) != 0) deps.push_back(Intermediate::kConfusionMatrix);
    if ((def_.needs & CAIRN_NEEDS_RANKING) != 0) deps.push_back(Intermediate::kRanking);
    if ((def_.needs & CAIRN_NEEDS_PROBABILITY) != 0) deps.push_back(Intermediate::kProbability);
    if ((def_.needs & CAIRN_NEEDS_REGRESSION) != 0) deps.push_back(Intermediate::kRegression);
    return deps;
  }
  std::vector<ParamSpec> params() const override { return params_; }
  bool per_class() const override { return def_.per_class != 0; }
  bool higher_is_better() const override { return def_.higher_is_better != 0; }

  void Compute(const MetricSpec& spec, const MetricContext& ctx,
               std::vector<std::pair<std::string, MetricValue>>* out) const override {
    const std::vector<std::string>& classes = *ctx.classes;
    std::vector<const char*> names;
    names.reserve(classes.size());
    for (const std::string& c : classes) names.push_back(c.c_str());
    CairnMetricInput in{};
    in.num_classes = static_cast<int>(classes.size());
    in.classes = names.data();
    in.positive_class = ctx.positive_class;
    std::vector<int64_t> confusion;
    if (ctx.confusion_matrix != nullptr) {
      const ConfusionMatrix& cm = *ctx.confusion_matrix;
      in.rows = cm.Total();
      for (int t = 0; t < in.num_classes; ++t) {
        for (int p = 0; p < in.num_classes; ++p) {
          confusion.push_back(t < cm.num_classes() && p < cm.num_classes() ? cm.at(t, p) : 0);
        }
      }
      in.confusion = confusion.data();
    }
    std::vector<CairnClassRanking> ranking;
    if (ctx.ranking != nullptr) {
      for (const auto& c : ctx.ranking->classes) {
        CairnClassRanking r{};
        if (!c) {
          r.positives = -1;
          r.negatives = -1;
          r.roc_auc = std::nan("");
          r.average_precision = std::nan("");
        } else {
          r.positives = c->positives;
          r.negatives = c->negatives;
          r.roc_auc =
              c->positives > 0 && c->negatives > 0
                  ? static_cast<double>(c->auc_twice) / (2.0 * static_cast<double>(c->positives) *
                                                         static_cast<double>(c->negatives))
                  : std::nan("");
          r.average_precision = c->positives > 0 ? c->average_precision : std::nan("");
          r.pr_precision = c->pr_precision.data();
          r.roc_tpr = c->roc_tpr.data();
        }
        ranking.push_back(r);
      }
      in.ranking = ranking.data();
    }
    if (ctx.probability != nullptr) {
      in.rows = ctx.probability->rows;
      in.log_loss_sum = &ctx.probability->log_loss_sum;
      in.brier_sum = &ctx.probability->brier_sum;
      in.rank_counts = ctx.probability->rank_counts.data();
    }
    if (ctx.regression != nullptr) {
      in.rows = ctx.regression->rows;
      in.sum_abs_error = &ctx.regression->sum_abs_error;
      in.sum_squared_error = &ctx.regression->sum_squared_error;
      in.sum_squared_deviation = &ctx.regression->sum_squared_deviation;
    }
    std::vector<double> params;
    for (const ParamSpec& p : params_) params.push_back(spec.params.at(p.name));
    int cls = -1;
    if (spec.class_name) {
      for (size_t i = 0; i < classes.size(); ++i) {
        if (classes[i] == *spec.class_name) cls = static_cast<int>(i);
      }
    }
    CairnMetricOutput result{};
    def_.compute(&in, cls, params.data(), &result);
    result.reason[sizeof(result.reason) - 1] = '\0';
    if (result.is_null != 0) {
      out->emplace_back(spec.Key(), MetricValue::Null(result.reason));
    } else if (!std::isfinite(result.value)) {
      out->emplace_back(
          spec.Key(), MetricValue::Null("undefined: " + source_ + " returned a non-finite value"));
    } else {
      out->emplace_back(spec.Key(), MetricValue::Number(result.value));
    }
  }

 private:
  CairnMetricDef def_;
  std::string source_;
  std::vector<ParamSpec> params_;
};

}  // namespace

Status LoadMetricPlugin(const std::string& path, MetricRegistry* registry) {
  // A path without a slash would be searched for in the library path; make it explicit.
  std::string target = path.find('/') == std::string::npos ? "./" + path : path;
  void* handle = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::InvalidArgument("plugin " + path + ": cannot load (" +
                                   (why != nullptr ? why : "unknown error") + ")");
  }
  void* symbol = dlsym(handle, "cairn_metric_plugin");
  if (symbol == nullptr) {
    return Status::InvalidArgument("plugin " + path +
                                   ": no function cairn_metric_plugin (is it extern \"C\"?)");
  }
  auto entry = reinterpret_cast<CairnMetricPluginFn>(symbol);  // NOLINT: dlsym's contract
  const CairnMetricDef* defs = nullptr;
  int count = 0;
  if (entry(CAIRN_METRIC_PLUGIN_ABI, &defs, &count) != 0) {
    return Status::InvalidArgument("plugin " + path + ": refuses plugin ABI version " +
                                   std::to_string(CAIRN_METRIC_PLUGIN_ABI));
  }
  if (count < 0 || (count > 0 && defs == nullptr)) {
    return Status::InvalidArgument("plugin " + path + ": returned no metric definitions");
  }
  for (int i = 0; i < count; ++i) {
    const CairnMetricDef& d = defs[i];
    std::string where = "plugin " + path + ": metric " + std::to_string(i + 1);
    if (d.name == nullptr || d.name[0] == '\0' || d.compute == nullptr) {
      return Status::InvalidArgument(where + ": needs a name and a compute function");
    }
    where += " '" + std::string(d.name) + "'";
    for (const char* c = d.name; *c != '\0'; ++c) {
      if (std::strchr("()[],= ", *c) != nullptr) {
        return Status::InvalidArgument(where + ": names may not contain ()[],= or spaces");
      }
    }
    if ((d.needs & ~kKnownNeeds) != 0 || d.needs == 0) {
      return Status::InvalidArgument(where + ": needs must be a set of CAIRN_NEEDS_* bits");
    }
    if ((d.needs & CAIRN_NEEDS_REGRESSION) != 0 && (d.needs & ~CAIRN_NEEDS_REGRESSION) != 0) {
      return Status::InvalidArgument(where + ": regression and classification needs are exclusive");
    }
    if (d.num_params < 0 ||
        (d.num_params > 0 && (d.param_names == nullptr || d.param_defaults == nullptr))) {
      return Status::InvalidArgument(where + ": bad parameter list");
    }
    if (d.summary == nullptr) return Status::InvalidArgument(where + ": needs a summary");
    Status s = registry->Register(std::make_unique<PluginMetric>(d, "plugin " + path));
    if (!s.ok()) return s.WithPrefix("plugin " + path);
  }
  return Status::Ok();
}

}  // namespace cairn::metrics
