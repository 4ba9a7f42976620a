// COCO box evaluation with pycocotools' semantics. The arithmetic that produces the numbers
// (IoU, cumulative sums, precision and recall, means) is done with the same double
// operations in the same order as pycocotools and numpy, so results are bit-identical; the
// work around it (grouping, sorting, matching) is organized for speed: one pass over the
// (image, category) cells in parallel, then one stable sort per category.
//
// This file is compiled with -ffp-contract=off: a fused multiply-add would change results
// in the last bit.

#include "metrics/coco.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "base/json.h"
#include "base/thread_pool.h"
#include "table/column.h"

namespace cairn::metrics {
namespace {

constexpr int kT = CocoEvalResult::kNumIouThresholds;
constexpr int kR = CocoEvalResult::kNumRecallThresholds;
constexpr int kA = CocoEvalResult::kNumAreaRanges;
constexpr int kM = CocoEvalResult::kNumMaxDets;
constexpr int kMaxDet = 100;  // the largest of max_dets: detections kept per cell

// pycocotools' area ranges, both ends inclusive: all, small, medium, large.
constexpr double kAreaLo[kA] = {0, 0, 32 * 32, 96 * 96};
constexpr double kAreaHi[kA] = {1e10, 32 * 32, 96 * 96, 1e10};

// numpy.spacing(1): added to tp + fp before dividing.
constexpr double kEps = 2.220446049250313e-16;

// numpy.linspace(start, stop, n): (i * step) + start with step = (stop - start) / (n - 1), the
// last value set to stop.
template <size_t N>
std::array<double, N> Linspace(double start, double stop) {
  std::array<double, N> y{};
  double step = (stop - start) / static_cast<double>(N - 1);
  for (size_t i = 0; i < N; ++i) y[i] = static_cast<double>(i) * step + start;
  y[N - 1] = stop;
  return y;
}

// numpy's pairwise summation of a contiguous float64 array (pairwise_sum in
// loops_utils.h.src): plain loop below 8 elements, 8 accumulators up to 128, halves above.
double PairwiseSum(const double* a, int64_t n) {
  if (n < 8) {
    double res = 0.;
    for (int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSum(a, n2) + PairwiseSum(a + n2, n - n2);
}

// numpy.mean of a 1-D float64 array: numpy reduces in buffer-sized chunks (8192 elements),
// sums each chunk pairwise and adds the chunk sums in order, then divides by the count.
// -1 for an empty array (pycocotools' summarize).
double NumpyMean(const std::vector<double>& v) {
  if (v.empty()) return -1;
  constexpr int64_t kChunk = 8192;
  const auto n = static_cast<int64_t>(v.size());
  double acc = 0;
  for (int64_t lo = 0; lo < n; lo += kChunk)
    acc += PairwiseSum(v.data() + lo, std::min(kChunk, n - lo));
  return acc / static_cast<double>(n);
}

double Cross(const Point& o, const Point& a, const Point& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

double SignedArea(const std::vector<Point>& p) {
  if (p.size() < 3) return 0;
  double twice = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const Point& a = p[i];
    const Point& b = p[(i + 1) % p.size()];
    twice += a.x * b.y - b.x * a.y;
  }
  return twice / 2;
}

// The point where segment s-e crosses the line through p and q.
Point Intersection(const Point& s, const Point& e, const Point& p, const Point& q) {
  double ds = Cross(p, q, s);
  double de = Cross(p, q, e);
  double t = ds / (ds - de);
  return {s.x + t * (e.x - s.x), s.y + t * (e.y - s.y)};
}

// Flags of one detection at one IoU threshold and area range.
constexpr uint8_t kMatched = 1;  // matched a ground truth whose id is not 0 (pycocotools' dtm != 0)
constexpr uint8_t kIgnored = 2;  // neither a true nor a false positive

// What the per-cell pass leaves for the accumulation.
struct CellOutput {
  // Per kept detection (score order within the cell, at most 100 per cell, cells in
  // category-major, image-minor order): its score, its rank in the cell, and flags[a][t].
  std::vector<double> score;
  std::vector<uint8_t> rank;
  std::vector<uint8_t> flags;  // kA * kT per detection
  // Per non-empty cell: ground truths that are not ignored, per area range.
  std::vector<int32_t> npig;  // kA per cell
};

std::string ItemName(const CocoSource& source, std::string_view array, size_t index) {
  if (source.table) return source.name + ": row " + std::to_string(index + 1);
  return source.name + ": " + std::string(array) + "[" + std::to_string(index) + "]";
}

Status CheckBox(const Box& b, const CocoSource& source, std::string_view array, size_t index) {
  if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.w) || !std::isfinite(b.h) ||
      b.w < 0 || b.h < 0) {
    return Status::InvalidArgument(
        ItemName(source, array, index) + ": box [" + table::FormatDouble(b.x) + ", " +
        table::FormatDouble(b.y) + ", " + table::FormatDouble(b.w) + ", " +
        table::FormatDouble(b.h) + "] has a non-finite value or a negative size");
  }
  return Status::Ok();
}

// Matches the detections of one (image, category) cell to its ground truths for every area
// range and IoU threshold, exactly as pycocotools' evaluateImg (the cell's detections are
// already in score order and cut to 100).
class CellMatcher {
 public:
  explicit CellMatcher(const std::array<double, kT>& iou_thresholds)
      : iou_thresholds_(iou_thresholds) {}

  // gts: the cell's ground truths in input order; dets: its kept detections in score order.
  // Writes flags[d * kA * kT + a * kT + t] and npig[a].
  void Match(const std::vector<const CocoGroundTruth*>& gts,
             const std::vector<const CocoDetection*>& dets, uint8_t* flags, int32_t* npig) {
    const size_t g_count = gts.size();
    const size_t d_count = dets.size();
    ious_.assign(d_count * g_count, 0.0);
    for (size_t d = 0; d < d_count; ++d) {
      for (size_t g = 0; g < g_count; ++g) {
        ious_[d * g_count + g] = BoxIou(dets[d]->box, gts[g]->box, gts[g]->crowd);
      }
    }
    det_area_.resize(d_count);
    for (size_t d = 0; d < d_count; ++d) det_area_[d] = dets[d]->box.w * dets[d]->box.h;
    // A detection whose IoU with every ground truth is below the lowest threshold matches
    // nothing at any threshold (and changes no ground truth's state): it is ignored exactly
    // when its own area is outside the range. Only the others are scanned below.
    const double lowest = std::min(iou_thresholds_[0], 1 - 1e-10);
    candidates_.clear();
    for (size_t d = 0; d < d_count; ++d) {
      bool can_match = false;
      for (size_t g = 0; g < g_count && !can_match; ++g) {
        can_match = ious_[d * g_count + g] >= lowest;
      }
      if (can_match) {
        candidates_.push_back(d);
        continue;
      }
      for (size_t a = 0; a < kA; ++a) {
        bool outside = det_area_[d] < kAreaLo[a] || det_area_[d] > kAreaHi[a];
        std::memset(&flags[(d * kA + a) * kT], outside ? kIgnored : 0, kT);
      }
    }

    for (int a = 0; a < kA; ++a) {
      // Ground truths sorted stably with the ignored ones last.
      order_.clear();
      ignored_.clear();
      for (int pass = 0; pass < 2; ++pass) {
        for (size_t g = 0; g < g_count; ++g) {
          bool ig = gts[g]->crowd || gts[g]->area < kAreaLo[a] || gts[g]->area > kAreaHi[a];
          if (ig == (pass == 1)) {
            order_.push_back(g);
            ignored_.push_back(ig ? 1 : 0);
          }
        }
      }
      npig[a] = static_cast<int32_t>(std::count(ignored_.begin(), ignored_.end(), 0));
      for (int t = 0; t < kT; ++t) {
        gt_matched_.assign(g_count, 0);
        for (size_t d : candidates_) {
          double best = std::min(iou_thresholds_[static_cast<size_t>(t)], 1 - 1e-10);
          int64_t m = -1;
          const double* row = &ious_[d * g_count];
          for (size_t gi = 0; gi < g_count; ++gi) {
            size_t g = order_[gi];
            if (gt_matched_[gi] != 0 && !gts[g]->crowd) continue;
            if (m > -1 && ignored_[static_cast<size_t>(m)] == 0 && ignored_[gi] == 1) break;
            if (row[g] < best) continue;
            best = row[g];
            m = static_cast<int64_t>(gi);
          }
          bool matched = false;
          bool ignored = false;
          if (m > -1) {
            auto mi = static_cast<size_t>(m);
            ignored = ignored_[mi] != 0;
            matched = gts[order_[mi]]->id != 0;
            gt_matched_[mi] = 1;
          }
          if (!matched && (det_area_[d] < kAreaLo[a] || det_area_[d] > kAreaHi[a])) ignored = true;
          flags[(d * kA + static_cast<size_t>(a)) * kT + static_cast<size_t>(t)] =
              static_cast<uint8_t>((matched ? kMatched : 0) | (ignored ? kIgnored : 0));
        }
      }
    }
  }

 private:
  const std::array<double, kT>& iou_thresholds_;
  std::vector<double> ious_;
  std::vector<double> det_area_;
  std::vector<size_t> candidates_;
  std::vector<size_t> order_;
  std::vector<uint8_t> ignored_;
  std::vector<uint8_t> gt_matched_;
};

// pycocotools' accumulate for one category: precision and recall of every (area range,
// max detections, IoU threshold) cell.
//
// pycocotools computes recall and precision after every detection, makes precision
// non-increasing from the right and samples it at the first index whose recall reaches each
// recall threshold. Only the positions of true positives matter: recall changes only there,
// so every sampled index (for thresholds above 0) is one; and between two true positives
// precision only falls, so the maximum over any suffix that starts at a true positive is
// attained at a true positive. Keeping (tp, fp) at each true positive and doing the same
// divisions there gives the same doubles as the full arrays.
class CategoryAccumulator {
 public:
  CategoryAccumulator(const CocoEvalResult& shape, const CellOutput& cells)
      : shape_(shape), cells_(cells) {}

  // Kept detections [begin, end) are the category's, in image order; npig[a] its ground
  // truths that are not ignored. Writes the category's cells of precision and recall.
  void Run(int k, size_t begin, size_t end, const std::array<int64_t, kA>& npig,
           std::vector<double>* precision, std::vector<double>* recall) {
    const size_t n = end - begin;
    // Stable sort by descending score: ties keep image order, then the order in the image.
    sorted_.resize(n);
    std::iota(sorted_.begin(), sorted_.end(), begin);
    std::stable_sort(sorted_.begin(), sorted_.end(),
                     [&](size_t x, size_t y) { return cells_.score[x] > cells_.score[y]; });

    // One pass over the detections in that order for all (m, a, t) at once: counts of true
    // and false positives, and (tp, fp) at each true positive.
    constexpr int kCombos = kM * kA * kT;
    std::array<int64_t, kCombos> tp{};
    std::array<int64_t, kCombos> fp{};
    std::array<int64_t, kM> nd{};
    for (auto& e : events_) e.clear();
    for (size_t x : sorted_) {
      const uint8_t* f = &cells_.flags[x * kA * kT];
      for (int m = 0; m < kM; ++m) {
        if (cells_.rank[x] >= shape_.max_dets[static_cast<size_t>(m)]) continue;
        ++nd[static_cast<size_t>(m)];
        for (int at = 0; at < kA * kT; ++at) {
          uint8_t flag = f[at];
          if ((flag & kIgnored) != 0) continue;
          const size_t c = static_cast<size_t>(m) * kA * kT + static_cast<size_t>(at);
          if ((flag & kMatched) != 0) {
            ++tp[c];
            events_[c].push_back({tp[c], fp[c]});
          } else {
            ++fp[c];
          }
        }
      }
    }

    const auto num_k = static_cast<int64_t>(shape_.categories.size());
    for (int m = 0; m < kM; ++m) {
      for (int a = 0; a < kA; ++a) {
        if (npig[static_cast<size_t>(a)] == 0) continue;  // stays -1
        const auto npig_d = static_cast<double>(npig[static_cast<size_t>(a)]);
        for (int t = 0; t < kT; ++t) {
          const size_t c =
              (static_cast<size_t>(m) * kA + static_cast<size_t>(a)) * kT + static_cast<size_t>(t);
          (*recall)[static_cast<size_t>(((t * num_k + k) * kA + a) * kM + m)] =
              nd[static_cast<size_t>(m)] > 0 ? static_cast<double>(tp[c]) / npig_d : 0.0;
          const std::vector<std::pair<int64_t, int64_t>>& ev = events_[c];
          const size_t ne = ev.size();
          rc_.resize(ne);
          pr_.resize(ne);
          for (size_t e = 0; e < ne; ++e) {
            auto tp_d = static_cast<double>(ev[e].first);
            auto fp_d = static_cast<double>(ev[e].second);
            rc_[e] = tp_d / npig_d;
            pr_[e] = tp_d / (fp_d + tp_d + kEps);
          }
          // Precision made non-increasing from the right.
          for (size_t e = ne; e-- > 1;) {
            if (pr_[e] > pr_[e - 1]) pr_[e - 1] = pr_[e];
          }
          // At each recall threshold, the precision at the first index whose recall reaches
          // it (numpy searchsorted, side left); 0 beyond the last recall.
          size_t e = 0;
          for (int r = 0; r < kR; ++r) {
            double thr = shape_.recall_thresholds[static_cast<size_t>(r)];
            while (e < ne && rc_[e] < thr) ++e;
            double q = e < ne ? pr_[e] : 0.0;
            (*precision)[static_cast<size_t>((((t * kR + r) * num_k + k) * kA + a) * kM + m)] = q;
          }
        }
      }
    }
  }

 private:
  const CocoEvalResult& shape_;
  const CellOutput& cells_;
  std::vector<size_t> sorted_;
  std::array<std::vector<std::pair<int64_t, int64_t>>, kM * kA * kT> events_;
  std::vector<double> rc_;
  std::vector<double> pr_;
};

// Index of `value` in `values` by exact equality (pycocotools' np.where(iouThr == iouThrs)),
// or -1.
int ExactIndex(const std::array<double, kT>& values, double value) {
  for (int i = 0; i < kT; ++i) {
    if (values[static_cast<size_t>(i)] == value) return i;
  }
  return -1;
}

void Summarize(CocoEvalResult* res) {
  const int num_k = static_cast<int>(res->categories.size());
  constexpr int kAll = -1;  // every IoU threshold
  // pycocotools' _summarize: the mean of the cells > -1 of precision[t][:][:][a][m] (ap) or
  // recall[t][:][a][m], for t = t_only or every t (kAll).
  auto summarize = [&](bool ap, int t_only, int a, int m) {
    std::vector<double> values;
    for (int t = 0; t < kT; ++t) {
      if (t_only != kAll && t != t_only) continue;
      if (ap) {
        for (int r = 0; r < kR; ++r) {
          for (int k = 0; k < num_k; ++k) {
            double v = res->Precision(t, r, k, a, m);
            if (v > -1) values.push_back(v);
          }
        }
      } else {
        for (int k = 0; k < num_k; ++k) {
          double v = res->Recall(t, k, a, m);
          if (v > -1) values.push_back(v);
        }
      }
    }
    return NumpyMean(values);
  };
  const int t50 = ExactIndex(res->iou_thresholds, .5);
  const int t75 = ExactIndex(res->iou_thresholds, .75);
  res->stats[0] = summarize(true, kAll, 0, 2);
  res->stats[1] = t50 < 0 ? -1 : summarize(true, t50, 0, 2);
  res->stats[2] = t75 < 0 ? -1 : summarize(true, t75, 0, 2);
  res->stats[3] = summarize(true, kAll, 1, 2);
  res->stats[4] = summarize(true, kAll, 2, 2);
  res->stats[5] = summarize(true, kAll, 3, 2);
  res->stats[6] = summarize(false, kAll, 0, 0);
  res->stats[7] = summarize(false, kAll, 0, 1);
  res->stats[8] = summarize(false, kAll, 0, 2);
  res->stats[9] = summarize(false, kAll, 1, 2);
  res->stats[10] = summarize(false, kAll, 2, 2);
  res->stats[11] = summarize(false, kAll, 3, 2);

  res->category_ap.assign(static_cast<size_t>(num_k), -1);
  res->category_ap50.assign(static_cast<size_t>(num_k), -1);
  std::vector<double> values;
  for (int k = 0; k < num_k; ++k) {
    values.clear();
    for (int t = 0; t < kT; ++t) {
      for (int r = 0; r < kR; ++r) {
        double v = res->Precision(t, r, k, 0, 2);
        if (v > -1) values.push_back(v);
      }
    }
    res->category_ap[static_cast<size_t>(k)] = NumpyMean(values);
    values.clear();
    for (int r = 0; t50 >= 0 && r < kR; ++r) {
      double v = res->Precision(t50, r, k, 0, 2);
      if (v > -1) values.push_back(v);
    }
    res->category_ap50[static_cast<size_t>(k)] = NumpyMean(values);
  }
}

}  // namespace

double BoxIou(const Box& dt, const Box& gt, bool gt_crowd) {
  // pycocotools' bbIou, operation for operation.
  double ga = gt.w * gt.h;
  double da = dt.w * dt.h;
  double w = std::fmin(dt.w + dt.x, gt.w + gt.x) - std::fmax(dt.x, gt.x);
  if (w <= 0) return 0;
  double h = std::fmin(dt.h + dt.y, gt.h + gt.y) - std::fmax(dt.y, gt.y);
  if (h <= 0) return 0;
  double i = w * h;
  double u = gt_crowd ? da : da + ga - i;
  return i / u;
}

double PolygonArea(const std::vector<Point>& polygon) { return std::fabs(SignedArea(polygon)); }

double ConvexPolygonIou(const std::vector<Point>& a, const std::vector<Point>& b) {
  double area_a = PolygonArea(a);
  double area_b = PolygonArea(b);
  if (area_a <= 0 && area_b <= 0) return 0;
  double inter = 0;
  if (area_a > 0 && area_b > 0) {
    // Sutherland-Hodgman: clip `a` by each edge of `b`, both counter-clockwise.
    std::vector<Point> out = a;
    if (SignedArea(out) < 0) std::reverse(out.begin(), out.end());
    std::vector<Point> clip = b;
    if (SignedArea(clip) < 0) std::reverse(clip.begin(), clip.end());
    std::vector<Point> in;
    for (size_t e = 0; e < clip.size() && !out.empty(); ++e) {
      const Point& p = clip[e];
      const Point& q = clip[(e + 1) % clip.size()];
      in.swap(out);
      out.clear();
      for (size_t i = 0; i < in.size(); ++i) {
        const Point& cur = in[i];
        const Point& prev = in[(i + in.size() - 1) % in.size()];
        bool cur_in = Cross(p, q, cur) >= 0;
        bool prev_in = Cross(p, q, prev) >= 0;
        if (cur_in) {
          if (!prev_in) out.push_back(Intersection(prev, cur, p, q));
          out.push_back(cur);
        } else if (prev_in) {
          out.push_back(Intersection(prev, cur, p, q));
        }
      }
    }
    inter = PolygonArea(out);
  }
  double uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0;
}

const std::array<std::string_view, 12>& CocoStatNames() {
  static const std::array<std::string_view, 12> kNames = {
      "AP",   "AP50",  "AP75",   "AP_small", "AP_medium", "AP_large",
      "AR_1", "AR_10", "AR_100", "AR_small", "AR_medium", "AR_large"};
  return kNames;
}

std::vector<double> CocoEvalResult::PrCurve(int k, bool mean_over_iou) const {
  std::vector<double> curve(kR);
  for (int r = 0; r < kR; ++r) {
    if (!mean_over_iou) {
      curve[static_cast<size_t>(r)] = Precision(0, r, k, 0, 2);
      continue;
    }
    // numpy's mean over the first axis of a strided [T, R] view adds rows in order.
    double sum = 0;
    for (int t = 0; t < kT; ++t) sum += Precision(t, r, k, 0, 2);
    curve[static_cast<size_t>(r)] = sum / kT;
  }
  return curve;
}

Result<CocoEvalResult> EvaluateCocoBoxes(const CocoDataset& gt,
                                         const std::vector<CocoDetection>& detections,
                                         const CocoEvalOptions& options) {
  CocoEvalResult res;
  res.iou_thresholds = Linspace<kT>(0.5, 0.95);
  res.recall_thresholds = Linspace<kR>(0.0, 1.0);

  // The I axis: image ids sorted; the K axis: category ids sorted.
  std::vector<int64_t> image_ids = gt.image_ids;
  std::sort(image_ids.begin(), image_ids.end());
  image_ids.erase(std::unique(image_ids.begin(), image_ids.end()), image_ids.end());
  res.categories = gt.categories;
  std::stable_sort(res.categories.begin(), res.categories.end(),
                   [](const CocoCategory& x, const CocoCategory& y) { return x.id < y.id; });
  for (size_t k = 1; k < res.categories.size(); ++k) {
    if (res.categories[k].id == res.categories[k - 1].id) {
      return Status::InvalidArgument(options.ground_truth.name + ": duplicate category id " +
                                     std::to_string(res.categories[k].id));
    }
  }
  const auto num_i = static_cast<int64_t>(image_ids.size());
  const auto num_k = static_cast<int64_t>(res.categories.size());
  std::unordered_map<int64_t, int64_t> image_index;
  image_index.reserve(image_ids.size());
  for (int64_t i = 0; i < num_i; ++i) image_index.emplace(image_ids[static_cast<size_t>(i)], i);
  std::unordered_map<int64_t, int64_t> category_index;
  for (int64_t k = 0; k < num_k; ++k)
    category_index.emplace(res.categories[static_cast<size_t>(k)].id, k);
  res.images = num_i;
  res.category_gt_count.assign(static_cast<size_t>(num_k), 0);

  // (category, image) of every ground truth and detection; category -1 for one whose
  // category is not evaluated.
  struct Place {
    int32_t category = -1;
    int32_t image = 0;
  };
  std::vector<Place> gt_place(gt.annotations.size());
  for (size_t j = 0; j < gt.annotations.size(); ++j) {
    const CocoGroundTruth& a = gt.annotations[j];
    auto img = image_index.find(a.image_id);
    if (img == image_index.end()) {
      return Status::InvalidArgument(ItemName(options.ground_truth, "annotations", j) +
                                     ": image_id " + std::to_string(a.image_id) +
                                     " is not an image of the ground truth");
    }
    CAIRN_RETURN_IF_ERROR(CheckBox(a.box, options.ground_truth, "annotations", j));
    if (!std::isfinite(a.area) || a.area < 0) {
      return Status::InvalidArgument(ItemName(options.ground_truth, "annotations", j) + ": area " +
                                     table::FormatDouble(a.area) +
                                     " is not a finite non-negative number");
    }
    auto cat = category_index.find(a.category_id);
    if (cat == category_index.end()) continue;  // pycocotools skips it as well
    gt_place[j] = {static_cast<int32_t>(cat->second), static_cast<int32_t>(img->second)};
    ++res.ground_truths;
    if (!a.crowd) ++res.category_gt_count[static_cast<size_t>(cat->second)];
  }
  std::vector<Place> dt_place(detections.size());
  for (size_t j = 0; j < detections.size(); ++j) {
    const CocoDetection& d = detections[j];
    auto img = image_index.find(d.image_id);
    if (img == image_index.end()) {
      return Status::InvalidArgument(ItemName(options.detections, "detections", j) + ": image_id " +
                                     std::to_string(d.image_id) +
                                     " is not an image of the ground truth");
    }
    CAIRN_RETURN_IF_ERROR(CheckBox(d.box, options.detections, "detections", j));
    if (!std::isfinite(d.score)) {
      return Status::InvalidArgument(ItemName(options.detections, "detections", j) +
                                     ": score is not a finite number");
    }
    auto cat = category_index.find(d.category_id);
    if (cat == category_index.end()) {
      ++res.skipped_detections;
      continue;
    }
    dt_place[j] = {static_cast<int32_t>(cat->second), static_cast<int32_t>(img->second)};
    ++res.detections;
  }

  // Items ordered by (category, image), input order kept within a cell: a stable counting
  // sort by image, then one by category (memory O(items + images + categories), however
  // many cells there are).
  auto order_by_cell = [num_i, num_k](const std::vector<Place>& place) {
    std::vector<int32_t> by_image;
    std::vector<int64_t> next(static_cast<size_t>(num_i) + 1, 0);
    for (const Place& p : place) {
      if (p.category >= 0) ++next[static_cast<size_t>(p.image) + 1];
    }
    std::partial_sum(next.begin(), next.end(), next.begin());
    by_image.resize(static_cast<size_t>(next.back()));
    for (size_t j = 0; j < place.size(); ++j) {
      if (place[j].category >= 0) {
        by_image[static_cast<size_t>(next[static_cast<size_t>(place[j].image)]++)] =
            static_cast<int32_t>(j);
      }
    }
    std::vector<int32_t> by_cell(by_image.size());
    next.assign(static_cast<size_t>(num_k) + 1, 0);
    for (int32_t j : by_image)
      ++next[static_cast<size_t>(place[static_cast<size_t>(j)].category) + 1];
    std::partial_sum(next.begin(), next.end(), next.begin());
    for (int32_t j : by_image) {
      by_cell[static_cast<size_t>(
          next[static_cast<size_t>(place[static_cast<size_t>(j)].category)]++)] = j;
    }
    return by_cell;
  };
  const std::vector<int32_t> gt_items = order_by_cell(gt_place);
  const std::vector<int32_t> dt_items = order_by_cell(dt_place);

  // Non-empty cells in (category, image) order, with their ranges of items and the slots
  // of their kept detections.
  struct Cell {
    int64_t key = 0;  // category * images + image
    size_t gt_begin = 0;
    size_t gt_end = 0;
    size_t dt_begin = 0;
    size_t dt_end = 0;
  };
  auto key_of = [num_i](const Place& p) { return int64_t{p.category} * num_i + p.image; };
  std::vector<Cell> cells;
  std::vector<int64_t> kept_begin = {0};
  {
    size_t gi = 0;
    size_t di = 0;
    while (gi < gt_items.size() || di < dt_items.size()) {
      int64_t gk = gi < gt_items.size() ? key_of(gt_place[static_cast<size_t>(gt_items[gi])])
                                        : std::numeric_limits<int64_t>::max();
      int64_t dk = di < dt_items.size() ? key_of(dt_place[static_cast<size_t>(dt_items[di])])
                                        : std::numeric_limits<int64_t>::max();
      Cell cell;
      cell.key = std::min(gk, dk);
      cell.gt_begin = gi;
      while (gi < gt_items.size() &&
             key_of(gt_place[static_cast<size_t>(gt_items[gi])]) == cell.key)
        ++gi;
      cell.gt_end = gi;
      cell.dt_begin = di;
      while (di < dt_items.size() &&
             key_of(dt_place[static_cast<size_t>(dt_items[di])]) == cell.key)
        ++di;
      cell.dt_end = di;
      cells.push_back(cell);
      kept_begin.push_back(kept_begin.back() + static_cast<int64_t>(std::min<size_t>(
                                                   cell.dt_end - cell.dt_begin, kMaxDet)));
    }
  }
  const auto total_kept = static_cast<size_t>(kept_begin.back());
  CellOutput out;
  out.score.resize(total_kept);
  out.rank.resize(total_kept);
  out.flags.resize(total_kept * kA * kT);
  out.npig.resize(cells.size() * kA);

  // Evaluate the cells, in parallel over blocks of cells; each cell writes only its slots,
  // so the order of work does not matter. Cells are visited image by image: the boxes of
  // one image sit together in the input, so this reads them with few cache misses.
  std::vector<size_t> visit(cells.size());
  {
    std::vector<size_t> next(static_cast<size_t>(num_i) + 1, 0);
    for (const Cell& c : cells) ++next[static_cast<size_t>(c.key % num_i) + 1];
    std::partial_sum(next.begin(), next.end(), next.begin());
    for (size_t ci = 0; ci < cells.size(); ++ci) {
      visit[next[static_cast<size_t>(cells[ci].key % num_i)]++] = ci;
    }
  }
  constexpr int64_t kCellsPerTask = 512;
  const auto num_cells_used = static_cast<int64_t>(cells.size());
  const int64_t tasks = (num_cells_used + kCellsPerTask - 1) / kCellsPerTask;
  ParallelFor(tasks, options.num_threads, [&](int64_t task) {
    CellMatcher matcher(res.iou_thresholds);
    std::vector<const CocoGroundTruth*> gts;
    std::vector<const CocoDetection*> dets;
    int64_t stop = std::min(num_cells_used, (task + 1) * kCellsPerTask);
    for (int64_t vi = task * kCellsPerTask; vi < stop; ++vi) {
      const size_t ci = visit[static_cast<size_t>(vi)];
      const Cell& cell = cells[ci];
      gts.clear();
      for (size_t j = cell.gt_begin; j < cell.gt_end; ++j) {
        gts.push_back(&gt.annotations[static_cast<size_t>(gt_items[j])]);
      }
      dets.clear();
      for (size_t j = cell.dt_begin; j < cell.dt_end; ++j) {
        dets.push_back(&detections[static_cast<size_t>(dt_items[j])]);
      }
      // Highest score first, ties in input order (numpy's stable mergesort), cut to 100.
      auto higher = [](const CocoDetection* x, const CocoDetection* y) {
        return x->score > y->score;
      };
      if (dets.size() <= 32) {
        // Insertion sort (stable, no allocation) for the usual small cell.
        for (size_t i = 1; i < dets.size(); ++i) {
          const CocoDetection* v = dets[i];
          size_t j = i;
          for (; j > 0 && higher(v, dets[j - 1]); --j) dets[j] = dets[j - 1];
          dets[j] = v;
        }
      } else {
        std::stable_sort(dets.begin(), dets.end(), higher);
      }
      if (dets.size() > static_cast<size_t>(kMaxDet)) dets.resize(kMaxDet);
      auto slot = static_cast<size_t>(kept_begin[ci]);
      for (size_t d = 0; d < dets.size(); ++d) {
        out.score[slot + d] = dets[d]->score;
        out.rank[slot + d] = static_cast<uint8_t>(d);
      }
      matcher.Match(gts, dets, out.flags.data() + slot * kA * kT, out.npig.data() + ci * kA);
    }
  });

  // Accumulate per category, in parallel; each category writes only its cells.
  res.precision.assign(static_cast<size_t>(kT * kR * num_k * kA * kM), -1.0);
  res.recall.assign(static_cast<size_t>(kT * num_k * kA * kM), -1.0);
  ParallelFor(num_k, options.num_threads, [&](int64_t k) {
    // The category's non-empty cells are contiguous in `cells`.
    auto below = [](const Cell& c, int64_t key) { return c.key < key; };
    auto first = std::lower_bound(cells.begin(), cells.end(), k * num_i, below);
    auto last = std::lower_bound(cells.begin(), cells.end(), (k + 1) * num_i, below);
    auto ci_begin = static_cast<size_t>(first - cells.begin());
    auto ci_end = static_cast<size_t>(last - cells.begin());
    std::array<int64_t, kA> npig{};
    for (size_t ci = ci_begin; ci < ci_end; ++ci) {
      for (size_t a = 0; a < kA; ++a) npig[a] += out.npig[ci * kA + a];
    }
    CategoryAccumulator acc(res, out);
    acc.Run(static_cast<int>(k), static_cast<size_t>(kept_begin[ci_begin]),
            static_cast<size_t>(kept_begin[ci_end]), npig, &res.precision, &res.recall);
  });

  Summarize(&res);
  return res;
}

std::string CocoSummaryText(const CocoEvalResult& result) {
  struct Line {
    bool ap;
    const char* iou;
    const char* area;
    int max_det;
  };
  static const Line kLines[12] = {
      {true, "0.50:0.95", "all", 100},     {true, "0.50", "all", 100},
      {true, "0.75", "all", 100},          {true, "0.50:0.95", "small", 100},
      {true, "0.50:0.95", "medium", 100},  {true, "0.50:0.95", "large", 100},
      {false, "0.50:0.95", "all", 1},      {false, "0.50:0.95", "all", 10},
      {false, "0.50:0.95", "all", 100},    {false, "0.50:0.95", "small", 100},
      {false, "0.50:0.95", "medium", 100}, {false, "0.50:0.95", "large", 100}};
  std::string text;
  char buf[160];
  for (size_t i = 0; i < 12; ++i) {
    const Line& l = kLines[i];
    std::snprintf(buf, sizeof(buf), " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", l.iou,
                  l.area, l.max_det, result.stats[i]);
    text += buf;
  }
  return text;
}

std::string CocoResultToJson(const CocoEvalResult& result, bool include_arrays) {
  // Category keys: the name, or "name#id" when it is empty or shared.
  std::unordered_map<std::string, int> name_count;
  for (const CocoCategory& c : result.categories) ++name_count[c.name];
  std::vector<std::string> keys;
  for (const CocoCategory& c : result.categories) {
    keys.push_back(
        !c.name.empty() && name_count[c.name] == 1 ? c.name : c.name + "#" + std::to_string(c.id));
  }
  auto num = [](double v) { return table::FormatDouble(v); };
  auto array = [&](const std::vector<double>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) s += ", ";
      s += num(v[i]);
    }
    return s + "]";
  };
  std::string j = "{\"images\": " + std::to_string(result.images) +
                  ", \"categories\": " + std::to_string(result.categories.size()) +
                  ", \"ground_truths\": " + std::to_string(result.ground_truths) +
                  ", \"detections\": " + std::to_string(result.detections) +
                  ", \"skipped_detections\": " + std::to_string(result.skipped_detections) +
                  ",\n \"stats\": {";
  for (size_t i = 0; i < 12; ++i) {
    if (i > 0) j += ", ";
    j += "\"" + std::string(CocoStatNames()[i]) + "\": " + num(result.stats[i]);
  }
  j += "},\n \"per_category\": {";
  for (size_t k = 0; k < result.categories.size(); ++k) {
    if (k > 0) j += ",\n  ";
    AppendJsonString(keys[k], &j);
    j += ": {\"id\": " + std::to_string(result.categories[k].id) +
         ", \"ground_truths\": " + std::to_string(result.category_gt_count[k]) +
         ", \"AP\": " + num(result.category_ap[k]) + ", \"AP50\": " + num(result.category_ap50[k]) +
         "}";
  }
  j += "},\n \"pr_curves\": {\"recall\": " +
       array(std::vector<double>(result.recall_thresholds.begin(), result.recall_thresholds.end()));
  for (bool mean : {false, true}) {
    j += mean ? ",\n  \"iou=0.50:0.95\": {" : ",\n  \"iou=0.50\": {";
    bool first = true;
    for (size_t k = 0; k < result.categories.size(); ++k) {
      if (result.category_ap[k] <= -1) continue;  // no ground truth
      if (!first) j += ",\n   ";
      first = false;
      AppendJsonString(keys[k], &j);
      j += ": " + array(result.PrCurve(static_cast<int>(k), mean));
    }
    j += "}";
  }
  j += "}";
  if (include_arrays) {
    j += ",\n \"shape\": [" + std::to_string(kT) + ", " + std::to_string(kR) + ", " +
         std::to_string(result.categories.size()) + ", " + std::to_string(kA) + ", " +
         std::to_string(kM) + "],\n \"precision\": " + array(result.precision) +
         ",\n \"recall\": " + array(result.recall);
  }
  j += "}\n";
  return j;
}

}  // namespace cairn::metrics
