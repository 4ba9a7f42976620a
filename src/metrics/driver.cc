#include "metrics/driver.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "base/file.h"
#include "base/hash.h"
#include "base/progress.h"
#include "base/thread_pool.h"
#include "table/io.h"

namespace cairn::metrics {
namespace {

bool AllIntegers(const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    int64_t x = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || end != v.data() + v.size()) return false;
  }
  return true;
}

// A batch and where it comes from.
struct Work {
  table::Table batch;
  size_t file = 0;
  int64_t first_row = 0;  // position of the batch's first row in its file
};

// A bounded queue of batches from the reading thread to the evaluating threads.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}
  void Push(Work batch) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || closed_; });
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  std::optional<Work> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    Work t = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return t;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Work> queue_;
  bool closed_ = false;
};

}  // namespace

Status ExpandScorePattern(const std::string& pattern, const table::Schema& schema,
                          std::vector<std::string>* classes, std::vector<std::string>* columns) {
  constexpr std::string_view kPlaceholder = "{class}";
  size_t at = pattern.find(kPlaceholder);
  if (at == std::string::npos) {
    return Status::InvalidArgument("score pattern '" + pattern + "' has no {class}");
  }
  std::string prefix = pattern.substr(0, at);
  std::string suffix = pattern.substr(at + kPlaceholder.size());
  std::vector<std::pair<std::string, std::string>> found;
  for (const table::Field& f : schema.fields()) {
    const std::string& name = f.name;
    if (name.size() <= prefix.size() + suffix.size()) continue;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    found.emplace_back(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()),
                       name);
  }
  if (found.empty()) {
    return Status::InvalidArgument("score pattern '" + pattern + "' matches no column");
  }
  std::vector<std::string> names;
  names.reserve(found.size());
  for (const auto& f : found) names.push_back(f.first);
  bool ints = AllIntegers(names);
  std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
    if (ints) return std::stoll(a.first) < std::stoll(b.first);
    return a.first < b.first;
  });
  classes->clear();
  columns->clear();
  for (auto& f : found) {
    classes->push_back(std::move(f.first));
    columns->push_back(std::move(f.second));
  }
  return Status::Ok();
}

Result<EvaluationResult::Input> DescribeInput(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenSequentialFile(path));
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::vector<char> buffer(1 << 20);
  int64_t bytes = 0;
  while (true) {
    auto n = file->Read(static_cast<int64_t>(buffer.size()), buffer.data());
    if (!n.ok()) {
      XXH3_freeState(state);
      return n.status();
    }
    if (*n == 0) break;
    XXH3_128bits_update(state, buffer.data(), static_cast<size_t>(*n));
    bytes += *n;
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  EvaluationResult::Input input;
  input.path = path;
  input.bytes = bytes;
  input.xxh3 = ToHex(Hash128{h.high64, h.low64});
  return input;
}

Status EvaluateFiles(const EvaluateFilesOptions& options, Evaluation* eval,
                     std::vector<EvaluationResult::Input>* inputs) {
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count) {
    return Status::InvalidArgument("shard " + std::to_string(options.shard_index) + "/" +
                                   std::to_string(options.shard_count) + " does not exist");
  }
  int threads = std::max(1, ResolveThreads(options.threads));
  // Workers: evaluation 0 is `eval`, the others fresh ones merged into it at the end.
  std::vector<Evaluation> extra;
  for (int t = 1; t < threads; ++t) {
    CAIRN_ASSIGN_OR_RETURN(Evaluation e, Evaluation::Make(eval->options(), eval->plan()));
    extra.push_back(std::move(e));
  }
  Progress progress("evaluate", 0, "rows");
  BatchQueue queue(static_cast<size_t>(threads) * 2);
  std::mutex error_mu;
  Status first_error;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    Evaluation* target = t == 0 ? eval : &extra[static_cast<size_t>(t - 1)];
    workers.emplace_back([&, target] {
      while (auto work = queue.Pop()) {
        Status s = target->Add(work->batch, work->first_row);
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (first_error.ok()) first_error = s.WithPrefix(options.inputs[work->file]);
          queue.Close();
          return;
        }
        progress.Add(work->batch.num_rows());
      }
    });
  }
  Status read_status;
  int64_t position = 0;  // rows seen over all inputs, for sharding
  for (size_t file = 0; file < options.inputs.size(); ++file) {
    const std::string& path = options.inputs[file];
    int64_t file_row = 0;
    if (options.hash_inputs) {
      auto described = DescribeInput(path);
      if (!described.ok()) {
        read_status = described.status().WithPrefix(path);
        break;
      }
      inputs->push_back(std::move(*described));
    }
    auto reader = table::OpenTableReader(path);
    if (!reader.ok()) {
      read_status = reader.status().WithPrefix(path);
      break;
    }
    table::Table batch;
    while (read_status.ok()) {
      {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!first_error.ok()) break;
      }
      auto more = (*reader)->Next(&batch);
      if (!more.ok()) {
        read_status = more.status().WithPrefix(path);
        break;
      }
      if (!*more) break;
      int64_t n = batch.num_rows();
      if (options.shard_count == 1) {
        queue.Push({std::move(batch), file, file_row});
      } else {
        // Cut the batch at block boundaries and keep this shard's blocks.
        for (int64_t start = 0; start < n;) {
          int64_t global = position + start;
          int64_t block = global / kShardBlockRows;
          int64_t end = std::min(n, (block + 1) * kShardBlockRows - position);
          if (block % options.shard_count == options.shard_index) {
            queue.Push({batch.Slice(start, end - start), file, file_row + start});
          }
          start = end;
        }
      }
      position += n;
      file_row += n;
      batch = table::Table();
    }
    if (!read_status.ok()) break;
  }
  queue.Close();
  for (std::thread& w : workers) w.join();
  progress.Finish();
  if (!read_status.ok()) return read_status;
  if (!first_error.ok()) return first_error;
  for (Evaluation& e : extra) CAIRN_RETURN_IF_ERROR(eval->Merge(e));
  return Status::Ok();
}

}  // namespace cairn::metrics
