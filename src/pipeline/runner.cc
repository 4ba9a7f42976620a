#include "pipeline/runner.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "base/thread_pool.h"
#include "base/time.h"
#include "pipeline/hasher.h"
#include "pipeline/outputs.h"
#include "pipeline/subscriptions.h"

namespace cairn::pipeline {

namespace fs = std::filesystem;

namespace {

using catalog::Value;

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string SelfExecutable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

// The value of --from (or --from=...) in built-in step arguments.
std::optional<std::string> FromFlag(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--from" && i + 1 < args.size()) return args[i + 1];
    if (args[i].starts_with("--from=")) return args[i].substr(7);
  }
  return std::nullopt;
}

// A stage's key with what it was computed from, and what the run cache knows about it.
struct Evaluation {
  std::vector<KeyInput> inputs;
  std::string key;
  std::optional<CacheEntry> cached;
  // Recorded outputs that are missing or different locally (when cached).
  std::vector<std::string> changed_outputs;
  // The templated command line, and reduce command of a sharded stage (or empty).
  std::vector<std::string> argv;
  // What a subscribed stage is handed.
  std::optional<Delivery> delivery;
  std::vector<std::string> reduce_argv;
};

// Computes stage keys and checks the run cache; shared by run and status.
class Evaluator {
 public:
  Evaluator(data::Workspace& ws, const Pipeline& p, std::optional<Window> window,
            std::string cairn_binary, int hash_threads)
      : ws_(ws),
        p_(p),
        window_(window),
        cairn_binary_(std::move(cairn_binary)),
        hasher_(MakeDefaultHasher(ws.root(), hash_threads)) {}

  PathHasher& hasher() { return *hasher_; }

  std::string Abs(const std::string& path) const {
    return fs::path(path).is_absolute() ? path : p_.dir + "/" + path;
  }

  // `overlay`: content hashes to assume for paths (outputs of upstream stages that would be
  // restored), for status.
  Result<Evaluation> Evaluate(int s, const std::vector<std::string>& upstream_keys,
                              const std::map<std::string, std::string>& overlay) {
    const Stage& st = p_.stages[static_cast<size_t>(s)];
    Evaluation e;
    std::vector<std::string> extra_deps;
    CAIRN_RETURN_IF_ERROR(CommandLine(s, &e, &extra_deps));
    std::vector<std::string> params = st.params;
    std::sort(params.begin(), params.end());
    for (const std::string& k : params) e.inputs.push_back({"param", k, p_.param_values.at(k)});
    std::vector<std::string> deps = st.deps;
    deps.insert(deps.end(), extra_deps.begin(), extra_deps.end());
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    for (const std::string& d : deps) {
      auto it = overlay.find(d);
      if (it != overlay.end()) {
        e.inputs.push_back({"dep", d, it->second});
        continue;
      }
      CAIRN_ASSIGN_OR_RETURN(PathHash h, hasher_->Hash(Abs(d)));
      e.inputs.push_back({"dep", d, h.kind == PathHash::Kind::kMissing ? "missing" : h.hash});
    }
    std::vector<std::string> outs = st.outs;
    std::sort(outs.begin(), outs.end());
    for (const std::string& o : outs) e.inputs.push_back({"out", o, ""});
    for (size_t i = 0; i < st.upstream.size(); ++i) {
      e.inputs.push_back(
          {"upstream", p_.stages[static_cast<size_t>(st.upstream[i])].name, upstream_keys[i]});
    }
    e.key = StageKey(e.inputs);
    CAIRN_ASSIGN_OR_RETURN(e.cached, LookupCache(ws_.catalog(), e.key));
    if (e.cached) {
      CAIRN_ASSIGN_OR_RETURN(e.changed_outputs,
                             ChangedOutputs(*hasher_, p_.dir, e.cached->outputs));
    }
    return e;
  }

  // The stage's command line (and reduce command) after templating, and the first inputs of
  // its key: the cairn version, the command, shards and reduce, and the state a built-in step
  // reads.
  Status CommandLine(int s, Evaluation* e, std::vector<std::string>* extra_deps) {
    const Stage& st = p_.stages[static_cast<size_t>(s)];
    const std::string where = st.location + ": stage '" + st.name + "'";
    e->inputs.push_back({"cairn-version", "", CAIRN_VERSION});
    if (!st.subscribe.empty()) {
      CAIRN_ASSIGN_OR_RETURN(e->delivery,
                             PendingDelivery(ws_.catalog(), p_.name, st.name, st.subscribe));
    }
    auto deliver = [e](const std::string& text) {
      return e->delivery ? ApplyDelivery(text, *e->delivery) : text;
    };
    if (!st.cmd.empty()) {
      CAIRN_ASSIGN_OR_RETURN(std::string cmd, ApplyWindow(deliver(st.cmd), window_, where));
      e->argv = {"/bin/sh", "-c", cmd};
      e->inputs.push_back({"cmd", "", cmd});
    } else {
      std::vector<std::string> args;
      for (const std::string& a : st.cairn_args) {
        CAIRN_ASSIGN_OR_RETURN(std::string t, ApplyWindow(deliver(a), window_, where));
        args.push_back(std::move(t));
      }
      e->inputs.push_back({"cairn", "", Join(args, "\n")});
      CAIRN_RETURN_IF_ERROR(AddState(args, &e->inputs, extra_deps));
      if (cairn_binary_.empty()) {
        return Status::Internal(where + ": no cairn binary to run the built-in step");
      }
      e->argv = {cairn_binary_};
      e->argv.insert(e->argv.end(), args.begin(), args.end());
    }
    if (e->delivery) {
      e->inputs.push_back({"subscribe", st.subscribe, Join(DeliveredCommits(*e->delivery), " ")});
    }
    // Only sharded stages carry these, so the keys of other stages stay as they were.
    if (st.shards > 0) e->inputs.push_back({"shards", "", std::to_string(st.shards)});
    if (!st.reduce.empty()) {
      CAIRN_ASSIGN_OR_RETURN(std::string reduce, ApplyWindow(deliver(st.reduce), window_, where));
      e->reduce_argv = {"/bin/sh", "-c", reduce};
      e->inputs.push_back({"reduce", "", reduce});
    }
    return Status::Ok();
  }

  // Why a stage whose key is not complete must run: what changed since its last completed
  // run, or that it never ran.
  Result<std::string> WhyRun(int s, const Evaluation& e) {
    const Stage& st = p_.stages[static_cast<size_t>(s)];
    CAIRN_ASSIGN_OR_RETURN(auto last, LastInputs(ws_.catalog(), p_.name, st.name));
    if (!last) return std::string("never ran");
    auto before = ParseInputsText(*last);
    if (!before.ok()) return std::string("changed");
    std::vector<std::string> changes = DescribeChanges(*before, e.inputs);
    if (changes.empty()) return std::string("not in the run cache");
    return "changed: " + Join(changes);
  }

 private:
  // What identifies the input state of a built-in step beyond its arguments.
  Status AddState(const std::vector<std::string>& args, std::vector<KeyInput>* inputs,
                  std::vector<std::string>* extra_deps) {
    if (args.size() >= 3 && args[0] == "snapshot" && args[1] == "create" &&
        !args[2].starts_with("-")) {
      CAIRN_ASSIGN_OR_RETURN(
          catalog::QueryResult r,
          ws_.catalog().Query(
              "SELECT id FROM commits WHERE dataset = ? ORDER BY sequence DESC LIMIT 1",
              {Value::Text(args[2])}));
      inputs->push_back({"state", "dataset " + args[2] + " head",
                         r.rows.empty() ? "none" : r.rows[0][0].bytes()});
    }
    if (!args.empty() && args[0] == "ingest") {
      if (auto from = FromFlag(args)) {
        extra_deps->push_back(fs::path(*from).lexically_normal().generic_string());
      }
    }
    return Status::Ok();
  }

  data::Workspace& ws_;
  const Pipeline& p_;
  std::optional<Window> window_;
  std::string cairn_binary_;
  std::unique_ptr<PathHasher> hasher_;
};

std::vector<std::string> UpstreamKeys(const Stage& st, const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  for (int u : st.upstream) out.push_back(keys[static_cast<size_t>(u)]);
  return out;
}

bool Succeeded(StageStatus s) {
  return s == StageStatus::kSkipped || s == StageStatus::kRestored || s == StageStatus::kRan;
}

// What a stage's command produced, handed from a worker to the scheduling thread.
struct Completion {
  int stage = 0;
  TaskResult result;
  Status error;  // logs or outputs could not be stored; the command did not succeed
  std::string stdout_blob;
  std::string stderr_blob;
  std::optional<SavedOutputs> saved;
  int64_t started_at = 0;
};

class Scheduler {
 public:
  Scheduler(data::Workspace& ws, const Pipeline& p, Executor& ex, const RunOptions& o)
      : ws_(ws),
        p_(p),
        ex_(ex),
        o_(o),
        eval_(ws, p, o.window, o.cairn_binary.empty() ? SelfExecutable() : o.cairn_binary,
              o.hash_threads),
        n_(p.stages.size()),
        selected_(n_, false),
        forced_(n_, false),
        started_(n_, false),
        submitted_(n_, false),
        finished_(n_, false),
        status_(n_, StageStatus::kNotRun),
        keys_(n_) {}

  Result<RunReport> Run() {
    std::vector<int> named;
    for (const std::string& name : o_.stages) {
      const int s = p_.Find(name);
      if (s < 0) {
        return Status::InvalidArgument("pipeline " + p_.name + " (" + p_.file + ") has no stage '" +
                                       name + "'");
      }
      named.push_back(s);
    }
    if (named.empty()) {
      selected_.assign(n_, true);
      needed_.assign(n_, true);
    } else {
      needed_ = p_.WithUpstream(named);
      selected_ = needed_;
      if (o_.only_named) {
        selected_.assign(n_, false);
        for (int s : named) selected_[static_cast<size_t>(s)] = true;
      }
    }
    if (o_.force) {
      if (named.empty()) {
        forced_.assign(n_, true);
      } else {
        for (int s : named) forced_[static_cast<size_t>(s)] = true;
      }
    }
    report_.run.pipeline = p_.name;
    report_.run.file = p_.file;
    report_.run.file_hash = p_.file_hash;
    report_.run.window = o_.window;
    CAIRN_RETURN_IF_ERROR(BeginPipelineRun(ws_.catalog(), &report_.run));
    std::string tmp = (fs::temp_directory_path() / "cairn-pipeline-XXXXXX").string();
    if (::mkdtemp(tmp.data()) == nullptr) return Status::IOError("cannot create " + tmp);
    log_dir_ = tmp;
    Status st = Loop();
    std::error_code ec;
    fs::remove_all(log_dir_, ec);
    const bool ok = st.ok() && report_.failed_stage.empty();
    Status fin = FinishPipelineRun(ws_.catalog(), report_.run.id, ok ? "succeeded" : "failed");
    CAIRN_RETURN_IF_ERROR(st);
    CAIRN_RETURN_IF_ERROR(fin);
    report_.run.status = ok ? "succeeded" : "failed";
    return std::move(report_);
  }

 private:
  // What HandleCompletion needs about a stage whose command was started.
  struct Pending {
    std::string reason;
    std::string inputs;
    std::string note;
    // Submitted before its upstream stages finished (its key is not known yet).
    bool ahead = false;
  };

  Status Loop() {
    ThreadPool pool(std::max(1, std::min(ex_.slots(), static_cast<int>(n_))));
    int running = 0;
    Status fatal;
    while (true) {
      // Start (or settle) every stage whose upstream stages have all succeeded.
      bool progress = true;
      while (progress && !stop_ && fatal.ok() && running < ex_.slots()) {
        progress = false;
        for (int s : p_.order) {
          const auto k = static_cast<size_t>(s);
          bool ahead = false;
          if (!needed_[k] || started_[k] || !Ready(s, &ahead)) continue;
          if (!selected_[k]) {
            if (ahead) continue;
            // Upstream of a stage run alone: must be complete; restore its outputs if needed.
            started_[k] = true;
            fatal = SettleUnselected(s);
            progress = true;
            break;
          }
          started_[k] = true;
          Status d = ahead ? SubmitAhead(s, &pool, &running) : Decide(s, &pool, &running);
          if (!d.ok()) {
            fatal = d;
            break;
          }
          progress = true;
          if (stop_ || running >= ex_.slots()) break;
        }
      }
      if (running == 0) break;
      arrived_.push_back(WaitCompletion());
      --running;
      Status h = HandleArrived(running == 0);
      if (!h.ok() && fatal.ok()) fatal = h;
    }
    // Whatever did not start: not run, and why.
    for (int s : p_.order) {
      const auto k = static_cast<size_t>(s);
      if (!selected_[k] || started_[k]) continue;
      std::string why;
      for (int u : p_.stages[k].upstream) {
        if (finished_[static_cast<size_t>(u)] && !Succeeded(status_[static_cast<size_t>(u)])) {
          why = "upstream '" + p_.stages[static_cast<size_t>(u)].name + "' " +
                std::string(StageStatusName(status_[static_cast<size_t>(u)]) == "failed"
                                ? "failed"
                                : "did not run");
          break;
        }
      }
      if (why.empty()) {
        why = report_.failed_stage.empty()
                  ? "not started"
                  : "not started: stage '" + report_.failed_stage + "' failed";
      }
      status_[k] = StageStatus::kNotRun;
      finished_[k] = true;
      StageOutcome out;
      out.stage = p_.stages[k].name;
      out.status = StageStatus::kNotRun;
      out.reason = why;
      Status r = Record(s, out, "", nullptr, {}, NowMicros());
      if (!r.ok() && fatal.ok()) fatal = r;
    }
    Status flushed = FlushRecords();
    if (!flushed.ok() && fatal.ok()) fatal = flushed;
    return fatal;
  }

  // Whether every upstream stage finished successfully, or (on an executor that submits
  // ahead) was handed to the executor and is still running; `*ahead` says whether any is.
  bool Ready(int s, bool* ahead) const {
    *ahead = false;
    for (int u : p_.stages[static_cast<size_t>(s)].upstream) {
      const auto k = static_cast<size_t>(u);
      if (finished_[k]) {
        if (!Succeeded(status_[k])) return false;
      } else if (submitted_[k] && ex_.SubmitsAhead()) {
        *ahead = true;
      } else {
        return false;
      }
    }
    return true;
  }

  // Hands stage `s` to the executor before its upstream stages finished: its key depends on
  // their outputs, so it is computed (and the outcome recorded) when its task has finished.
  Status SubmitAhead(int s, ThreadPool* pool, int* running) {
    const auto k = static_cast<size_t>(s);
    const Stage& st = p_.stages[k];
    const int64_t started = NowMicros();
    Evaluation e;
    std::vector<std::string> extra_deps;
    Status command = eval_.CommandLine(s, &e, &extra_deps);
    if (!command.ok()) {
      if (command.code() != StatusCode::kInvalidArgument) return command;
      StageOutcome out;
      out.stage = st.name;
      out.status = StageStatus::kFailed;
      out.reason = command.message();
      Fail(s);
      return Record(s, out, "", nullptr, {}, started);
    }
    Pending pending;
    pending.ahead = true;
    Task task = MakeTask(s, std::move(e));
    for (int u : st.upstream) {
      if (!finished_[static_cast<size_t>(u)]) {
        task.after.push_back(p_.stages[static_cast<size_t>(u)].name);
      }
    }
    return Start(s, std::move(pending), std::move(task), started, pool, running);
  }

  // The task that runs stage `s`'s command.
  Task MakeTask(int s, Evaluation e) {
    const Stage& st = p_.stages[static_cast<size_t>(s)];
    Task task;
    task.stage = st.name;
    task.argv = std::move(e.argv);
    task.shards = st.shards;
    task.reduce_argv = std::move(e.reduce_argv);
    task.cwd = p_.dir;
    task.stdout_path = log_dir_ + "/" + st.name + ".stdout";
    task.stderr_path = log_dir_ + "/" + st.name + ".stderr";
    if (!ws_.root().empty()) task.env.emplace_back("CAIRN_HOME", ws_.root());
    task.env.emplace_back("CAIRN_CATALOG", ws_.catalog_uri());
    task.env.emplace_back("CAIRN_STORE", ws_.store_uri());
    task.env.emplace_back("CAIRN_PIPELINE", p_.name);
    task.env.emplace_back("CAIRN_PIPELINE_RUN", report_.run.id);
    task.env.emplace_back("CAIRN_STAGE", st.name);
    if (e.delivery) {
      for (auto& kv : DeliveryEnv(*e.delivery)) task.env.push_back(std::move(kv));
    }
    return task;
  }

  // Hands `task` to a worker, which runs it on the executor.
  Status Start(int s, Pending pending, Task task, int64_t started, ThreadPool* pool, int* running) {
    pending_[s] = std::move(pending);
    submitted_[static_cast<size_t>(s)] = true;
    CAIRN_RETURN_IF_ERROR(FlushRecords());
    if (o_.on_start) o_.on_start(p_.stages[static_cast<size_t>(s)].name);
    ++*running;
    pool->Submit([this, s, task = std::move(task), started] {
      Completion c = Execute(s, task);
      c.started_at = started;
      std::lock_guard<std::mutex> lock(mu_);
      done_.push_back(std::move(c));
      cv_.notify_one();
    });
    return Status::Ok();
  }

  // Settles the completions that arrived, each once the stages it depends on are settled (a
  // stage submitted ahead may finish before its upstream stage's outputs were stored). With
  // `all`, nothing else will arrive.
  Status HandleArrived(bool all) {
    Status first;
    bool progress = true;
    while (progress && !arrived_.empty()) {
      progress = false;
      for (auto it = arrived_.begin(); it != arrived_.end(); ++it) {
        bool settled = true;
        if (pending_[it->stage].ahead) {
          for (int u : p_.stages[static_cast<size_t>(it->stage)].upstream) {
            if (!finished_[static_cast<size_t>(u)]) settled = false;
          }
        }
        if (!settled) continue;
        Completion c = std::move(*it);
        arrived_.erase(it);
        Status h = HandleCompletion(std::move(c));
        if (!h.ok() && first.ok()) first = h;
        progress = true;
        break;
      }
    }
    if (all && !arrived_.empty() && first.ok()) {
      first = Status::Internal("pipeline " + p_.name + ": stage '" +
                               p_.stages[static_cast<size_t>(arrived_.front().stage)].name +
                               "' finished but its upstream stages never did");
    }
    return first;
  }

  Status SettleUnselected(int s) {
    const Stage& st = p_.stages[static_cast<size_t>(s)];
    const int64_t started = NowMicros();
    CAIRN_ASSIGN_OR_RETURN(Evaluation e, eval_.Evaluate(s, UpstreamKeys(st, keys_), {}));
    keys_[static_cast<size_t>(s)] = e.key;
    if (!e.cached) {
      CAIRN_ASSIGN_OR_RETURN(std::string why, eval_.WhyRun(s, e));
      return Status::InvalidArgument("upstream stage '" + st.name +
                                     "' is not complete for its current inputs (" + why +
                                     "); run it first");
    }
    finished_[static_cast<size_t>(s)] = true;
    status_[static_cast<size_t>(s)] = StageStatus::kSkipped;
    if (e.changed_outputs.empty()) return Status::Ok();
    CAIRN_RETURN_IF_ERROR(RestoreOutputs(ws_.blobs(), ws_.objects(), eval_.hasher(), p_.dir,
                                         e.cached->outputs, e.changed_outputs)
                              .WithPrefix("upstream stage '" + st.name + "'"));
    status_[static_cast<size_t>(s)] = StageStatus::kRestored;
    StageOutcome out;
    out.stage = st.name;
    out.status = StageStatus::kRestored;
    out.key = e.key;
    out.reason = "outputs missing or changed: " + Join(e.changed_outputs);
    return Record(s, out, InputsText(e.inputs), nullptr, {}, started);
  }

  // Skips, restores or starts stage `s`.
  Status Decide(int s, ThreadPool* pool, int* running) {
    const auto k = static_cast<size_t>(s);
    const Stage& st = p_.stages[k];
    const int64_t started = NowMicros();
    auto evaluated = eval_.Evaluate(s, UpstreamKeys(st, keys_), {});
    if (!evaluated.ok()) {
      if (evaluated.status().code() != StatusCode::kInvalidArgument &&
          evaluated.status().code() != StatusCode::kIOError) {
        return evaluated.status();
      }
      StageOutcome out;
      out.stage = st.name;
      out.status = StageStatus::kFailed;
      out.reason = evaluated.status().message();
      Fail(s);
      return Record(s, out, "", nullptr, {}, started);
    }
    Evaluation e = std::move(*evaluated);
    StageOutcome out;
    out.stage = st.name;
    if (e.delivery && DeliveredCommits(*e.delivery).empty()) {
      // Subscribed to a dataset without commits: nothing to process, nothing to key.
      out.status = StageStatus::kSkipped;
      out.reason = "no commits of dataset '" + st.subscribe + "' to process";
      status_[k] = out.status;
      finished_[k] = true;
      return Record(s, out, "", nullptr, {}, started);
    }
    if (e.delivery && e.delivery->has_new()) {
      deliveries_[s] = *e.delivery;
      out.note = "delivering " + std::to_string(e.delivery->commits.size()) +
                 " commit(s) of dataset '" + st.subscribe + "' (sequences " +
                 std::to_string(e.delivery->first_sequence) + ".." +
                 std::to_string(e.delivery->last_sequence) + ")";
    }
    keys_[k] = e.key;
    out.key = e.key;
    std::string reason;
    if (forced_[k]) {
      reason = "forced";
    } else if (e.cached && e.changed_outputs.empty()) {
      out.status = StageStatus::kSkipped;
      out.reason = e.delivery && !e.delivery->has_new()
                       ? "up to date (no new commits of dataset '" + st.subscribe + "')"
                       : "up to date";
      status_[k] = out.status;
      finished_[k] = true;
      return Record(s, out, InputsText(e.inputs), nullptr, {}, started);
    } else if (e.cached) {
      Status restored = RestoreOutputs(ws_.blobs(), ws_.objects(), eval_.hasher(), p_.dir,
                                       e.cached->outputs, e.changed_outputs);
      if (restored.ok()) {
        out.status = StageStatus::kRestored;
        out.reason = "outputs missing or changed: " + Join(e.changed_outputs) +
                     "; restored from the run cache";
        status_[k] = out.status;
        finished_[k] = true;
        return Record(s, out, InputsText(e.inputs), nullptr, {}, started);
      }
      if (restored.code() != StatusCode::kCorrupt) return restored;
      reason = "the run cache is damaged (" + restored.message() + "); recomputing";
      out.note = out.note.empty() ? reason : out.note + "; " + reason;
    } else {
      CAIRN_ASSIGN_OR_RETURN(reason, eval_.WhyRun(s, e));
    }
    // Run the command on a worker.
    Pending pending{std::move(reason), InputsText(e.inputs), out.note, false};
    Task task = MakeTask(s, std::move(e));
    return Start(s, std::move(pending), std::move(task), started, pool, running);
  }

  // On a worker: clears the outputs, runs the command, stores its logs and outputs.
  Completion Execute(int s, const Task& task) {
    const Stage& st = p_.stages[static_cast<size_t>(s)];
    Completion c;
    c.stage = s;
    std::error_code ec;
    for (const std::string& o : st.outs) {
      const fs::path path = fs::path(p_.dir) / o;
      fs::remove_all(path, ec);
      if (!ec) fs::create_directories(path.parent_path(), ec);
      if (ec) {
        c.error = Status::IOError(path.string() + ": " + ec.message());
        return c;
      }
    }
    c.result = ex_.Run(task);
    for (const auto& [path, blob] :
         {std::pair{&task.stdout_path, &c.stdout_blob}, {&task.stderr_path, &c.stderr_blob}}) {
      if (!fs::exists(*path, ec)) continue;
      auto id = ws_.blobs().PutBlobFile(*path);
      if (id.ok()) {
        *blob = *id;
      } else if (c.error.ok()) {
        c.error = id.status().WithPrefix("storing the log");
      }
    }
    if (!c.result.status.ok() || c.result.exit_code != 0 || !c.error.ok()) return c;
    auto saved = SaveOutputs(ws_.blobs(), eval_.hasher(), p_.dir, st.outs);
    if (!saved.ok()) {
      c.error = saved.status();
      return c;
    }
    c.saved = std::move(*saved);
    return c;
  }

  Completion WaitCompletion() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !done_.empty(); });
    Completion c = std::move(done_.front());
    done_.pop_front();
    return c;
  }

  Status HandleCompletion(Completion c) {
    const auto k = static_cast<size_t>(c.stage);
    const Stage& st = p_.stages[k];
    Pending pending = std::move(pending_[c.stage]);
    StageOutcome out;
    out.stage = st.name;
    out.note = pending.note;
    out.stdout_blob = c.stdout_blob;
    out.stderr_blob = c.stderr_blob;
    out.command_micros = c.result.ended_at - c.result.started_at;
    if (c.result.exit_code >= 0) out.exit_code = c.result.exit_code;
    if (pending.ahead) {
      // Submitted before its upstream stages finished: if one did not succeed, this stage
      // did not run (or its result does not count); else its key is computed now.
      for (int u : st.upstream) {
        const auto ku = static_cast<size_t>(u);
        if (Succeeded(status_[ku])) continue;
        out.status = StageStatus::kNotRun;
        out.reason = "upstream '" + p_.stages[ku].name + "' " +
                     (status_[ku] == StageStatus::kFailed ? "failed" : "did not run");
        out.exit_code.reset();
        status_[k] = StageStatus::kNotRun;
        finished_[k] = true;
        return Record(c.stage, out, "", nullptr, {}, c.started_at);
      }
      auto evaluated = eval_.Evaluate(c.stage, UpstreamKeys(st, keys_), {});
      if (!evaluated.ok()) {
        if (evaluated.status().code() != StatusCode::kInvalidArgument &&
            evaluated.status().code() != StatusCode::kIOError) {
          return evaluated.status();
        }
        out.status = StageStatus::kFailed;
        out.reason = evaluated.status().message();
        Fail(c.stage);
        return Record(c.stage, out, "", nullptr, {}, c.started_at);
      }
      keys_[k] = evaluated->key;
      pending.inputs = InputsText(evaluated->inputs);
      if (evaluated->cached) {
        pending.reason = "submitted with its upstream stages; its key was already complete";
      } else {
        CAIRN_ASSIGN_OR_RETURN(pending.reason, eval_.WhyRun(c.stage, *evaluated));
      }
    }
    out.key = keys_[k];
    const bool ok = c.result.status.ok() && c.result.exit_code == 0 && c.error.ok() && c.saved;
    if (!ok) {
      out.status = StageStatus::kFailed;
      if (!c.result.status.ok()) {
        out.reason = c.result.status.message();
      } else if (c.result.exit_code != 0) {
        out.reason = c.result.exit_code > 128
                         ? "killed by signal " + std::to_string(c.result.exit_code - 128)
                         : "exit status " + std::to_string(c.result.exit_code);
        if (!c.result.where.empty()) out.reason = c.result.where + ": " + out.reason;
      } else {
        out.reason = c.error.message();
      }
      Fail(c.stage);
      return Record(c.stage, out, pending.inputs, nullptr, {}, c.started_at);
    }
    out.status = StageStatus::kRan;
    out.reason = pending.reason;
    status_[k] = StageStatus::kRan;
    finished_[k] = true;
    CacheEntry entry;
    entry.key = keys_[k];
    entry.pipeline = p_.name;
    entry.stage = st.name;
    entry.outputs = c.saved->outputs;
    entry.created_at = NowMicros();
    return Record(c.stage, out, pending.inputs, &entry, c.saved->blobs, c.started_at);
  }

  void Fail(int s) {
    status_[static_cast<size_t>(s)] = StageStatus::kFailed;
    finished_[static_cast<size_t>(s)] = true;
    stop_ = true;
    if (report_.failed_stage.empty()) report_.failed_stage = p_.stages[static_cast<size_t>(s)].name;
    if (!ex_.SubmitsAhead()) return;
    // Stages submitted to run after this one must not run.
    for (size_t d = 0; d < n_; ++d) {
      if (!submitted_[d] || finished_[d]) continue;
      if (p_.WithUpstream({static_cast<int>(d)})[static_cast<size_t>(s)]) {
        ex_.Cancel(p_.stages[d].name);
      }
    }
  }

  Status Record(int s, const StageOutcome& out, const std::string& inputs, const CacheEntry* entry,
                const std::vector<std::string>& blobs, int64_t started_at) {
    StageRunRecord r;
    r.run_id = report_.run.id;
    r.stage = p_.stages[static_cast<size_t>(s)].name;
    r.key = out.key;
    r.status = out.status;
    r.reason = out.reason;
    r.inputs = inputs;
    r.started_at = started_at;
    r.ended_at = NowMicros();
    r.command_micros = out.command_micros;
    r.exit_code = out.exit_code;
    r.stdout_blob = out.stdout_blob;
    r.stderr_blob = out.stderr_blob;
    if (entry == nullptr &&
        (out.status == StageStatus::kSkipped || out.status == StageStatus::kRestored)) {
      // Stages that did no work are recorded together, before the next command starts: a
      // run killed before that loses nothing (their keys are complete in the run cache).
      unrecorded_.push_back(std::move(r));
    } else {
      CAIRN_RETURN_IF_ERROR(FlushRecords());
      CAIRN_RETURN_IF_ERROR(RecordStageRun(ws_.catalog(), r, entry, blobs));
    }
    report_.stages.push_back(out);
    if (o_.on_stage) o_.on_stage(out);
    // A subscribed stage's position moves only once its work for the delivery is complete.
    if (auto d = deliveries_.find(s); d != deliveries_.end()) {
      if (Succeeded(out.status)) {
        CAIRN_RETURN_IF_ERROR(AdvanceSubscription(ws_.catalog(), p_.name,
                                                  p_.stages[static_cast<size_t>(s)].name, d->second,
                                                  out.key, report_.run.id)
                                  .status());
      }
      deliveries_.erase(d);
    }
    return Status::Ok();
  }

  Status FlushRecords() {
    Status st = RecordStageRuns(ws_.catalog(), unrecorded_);
    unrecorded_.clear();
    return st;
  }

  data::Workspace& ws_;
  const Pipeline& p_;
  Executor& ex_;
  const RunOptions& o_;
  Evaluator eval_;
  size_t n_;
  std::vector<bool> needed_, selected_, forced_, started_, submitted_, finished_;
  std::vector<StageStatus> status_;
  std::vector<std::string> keys_;
  std::map<int, Pending> pending_;
  std::map<int, Delivery> deliveries_;
  std::vector<StageRunRecord> unrecorded_;
  bool stop_ = false;
  std::string log_dir_;
  RunReport report_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Completion> done_;
  // Completions received but not settled yet (HandleArrived).
  std::deque<Completion> arrived_;
};

}  // namespace

Result<RunReport> RunPipeline(data::Workspace& ws, const Pipeline& pipeline, Executor& executor,
                              const RunOptions& options) {
  Scheduler scheduler(ws, pipeline, executor, options);
  return scheduler.Run();
}

std::string_view StageStateName(StageState::Kind kind) {
  switch (kind) {
    case StageState::Kind::kUpToDate:
      return "up to date";
    case StageState::Kind::kWouldRestore:
      return "would restore";
    case StageState::Kind::kWouldRun:
      return "would run";
  }
  return "would run";
}

Result<std::vector<StageState>> PipelineStatus(data::Workspace& ws, const Pipeline& pipeline,
                                               const std::optional<Window>& window,
                                               int hash_threads) {
  Evaluator eval(ws, pipeline, window, SelfExecutable(), hash_threads);
  const size_t n = pipeline.stages.size();
  std::vector<std::string> keys(n);
  std::vector<bool> will_run(n, false);
  std::map<std::string, std::string> overlay;  // outputs that would be restored
  std::vector<StageState> states;
  for (int s : pipeline.order) {
    const auto k = static_cast<size_t>(s);
    const Stage& st = pipeline.stages[k];
    StageState state;
    state.stage = st.name;
    std::vector<std::string> running_upstream;
    for (int u : st.upstream) {
      if (will_run[static_cast<size_t>(u)]) {
        running_upstream.push_back("'" + pipeline.stages[static_cast<size_t>(u)].name + "'");
      }
    }
    if (!running_upstream.empty()) {
      state.kind = StageState::Kind::kWouldRun;
      state.reason = "upstream " + Join(running_upstream) + " would run";
      will_run[k] = true;
      states.push_back(std::move(state));
      continue;
    }
    auto evaluated = eval.Evaluate(s, UpstreamKeys(st, keys), overlay);
    if (!evaluated.ok()) {
      if (evaluated.status().code() != StatusCode::kInvalidArgument) return evaluated.status();
      state.kind = StageState::Kind::kWouldRun;
      state.reason = evaluated.status().message();
      will_run[k] = true;
      states.push_back(std::move(state));
      continue;
    }
    if (evaluated->delivery && DeliveredCommits(*evaluated->delivery).empty()) {
      state.kind = StageState::Kind::kUpToDate;
      state.reason = "no commits of dataset '" + st.subscribe + "' to process";
      states.push_back(std::move(state));
      continue;
    }
    keys[k] = evaluated->key;
    state.key = evaluated->key;
    if (evaluated->cached && evaluated->changed_outputs.empty()) {
      state.kind = StageState::Kind::kUpToDate;
    } else if (evaluated->cached) {
      state.kind = StageState::Kind::kWouldRestore;
      state.reason = "outputs missing or changed: " + Join(evaluated->changed_outputs);
      for (const StoredOutput& o : evaluated->cached->outputs) overlay[o.path] = o.hash;
    } else {
      state.kind = StageState::Kind::kWouldRun;
      CAIRN_ASSIGN_OR_RETURN(state.reason, eval.WhyRun(s, *evaluated));
      will_run[k] = true;
    }
    states.push_back(std::move(state));
  }
  return states;
}

}  // namespace cairn::pipeline
