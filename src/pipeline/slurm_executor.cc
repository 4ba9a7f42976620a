#include "pipeline/slurm_executor.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "base/file.h"
#include "base/time.h"

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace cairn::pipeline {

namespace fs = std::filesystem;

namespace {

// What a program printed and how it exited.
struct ProgramResult {
  Status status;  // not ok when it could not be started
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up in PATH) with standard input from /dev/null, capturing
// standard output and error.
ProgramResult RunProgram(const std::vector<std::string>& argv) {
  ProgramResult r;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.status = Status::IOError(std::string("pipe: ") + std::strerror(errno));
    return r;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.status = Status::IOError(std::string("pipe: ") + std::strerror(errno));
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return r;
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  cargs.reserve(args.size() + 1);
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    r.status = Status::NotFound("cannot run " + argv[0] + ": " + std::strerror(rc));
    return r;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* dest[2] = {&r.out, &r.err};
  int open_pipes = 2;
  char buf[8192];
  while (open_pipes > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
        continue;
      }
      dest[i]->append(buf, static_cast<size_t>(n));
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      r.status = Status::IOError(std::string("waitpid: ") + std::strerror(errno));
      return r;
    }
  }
  r.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return r;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

bool Terminal(std::string_view state) {
  return state == "COMPLETED" || state == "FAILED" || state == "CANCELLED" || state == "TIMEOUT" ||
         state == "NODE_FAIL" || state == "PREEMPTED" || state == "OUT_OF_MEMORY" ||
         state == "BOOT_FAIL" || state == "DEADLINE";
}

// One line of `scontrol -o show job`: a job, an array task, or the array's tasks not yet
// started (ArrayTaskId=2-5).
struct JobLine {
  std::string id;  // "42" or "42_3"
  int first_task = -1;
  int last_task = -1;
  std::string state;
  std::string reason;
  std::string exit_code;  // "N:S"
};

std::vector<JobLine> ParseScontrol(std::string_view text) {
  std::vector<JobLine> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    JobLine j;
    j.state = ScontrolField(line, "JobState");
    if (j.state.empty()) continue;
    j.reason = ScontrolField(line, "Reason");
    j.exit_code = ScontrolField(line, "ExitCode");
    const std::string array = ScontrolField(line, "ArrayJobId");
    const std::string task = ScontrolField(line, "ArrayTaskId");
    if (!array.empty() && !task.empty()) {
      j.id = array;
      j.id += '_';
      j.id += task;
      const size_t dash = task.find('-');
      char* stop = nullptr;
      j.first_task = static_cast<int>(std::strtol(task.c_str(), &stop, 10));
      j.last_task = dash == std::string::npos
                        ? j.first_task
                        : static_cast<int>(std::strtol(task.c_str() + dash + 1, &stop, 10));
    } else {
      j.id = ScontrolField(line, "JobId");
    }
    lines.push_back(std::move(j));
  }
  return lines;
}

// How one job (or array task) ended, as a TaskResult's status and exit code.
void Outcome(const JobLine& j, bool interrupted, TaskResult* r) {
  r->where = "Slurm job " + j.id;
  if (j.state == "COMPLETED") {
    r->exit_code = 0;
    return;
  }
  if (j.state == "FAILED") {
    const size_t colon = j.exit_code.find(':');
    const int code = std::atoi(j.exit_code.substr(0, colon).c_str());
    const int sig = colon == std::string::npos ? 0 : std::atoi(j.exit_code.c_str() + colon + 1);
    r->exit_code = sig != 0 ? 128 + sig : code;
    if (r->exit_code == 0) r->exit_code = 1;
    return;
  }
  if (j.state == "CANCELLED" && j.reason == "DependencyNeverSatisfied") {
    r->status = Status::IOError(r->where + " was cancelled: a job it runs after failed");
  } else if (j.state == "CANCELLED") {
    r->status =
        Status::IOError(r->where + " was cancelled" + (interrupted ? " (interrupted)" : ""));
  } else {
    r->status =
        Status::IOError(r->where + " ended in state " + j.state +
                        (j.reason.empty() || j.reason == "None" ? "" : " (" + j.reason + ")"));
  }
}

class SlurmExecutor final : public Executor {
 public:
  SlurmExecutor(SlurmOptions options, std::string dir)
      : o_(std::move(options)), dir_(std::move(dir)), poller_([this] { Poll(); }) {}

  ~SlurmExecutor() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    poller_.join();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  SlurmExecutor(const SlurmExecutor&) = delete;
  SlurmExecutor& operator=(const SlurmExecutor&) = delete;

  int slots() const override { return std::max(1, o_.max_jobs); }
  bool SubmitsAhead() const override { return true; }

  void Cancel(const std::string& stage) override {
    std::vector<std::string> ids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      StageJobs& s = stages_[stage];
      s.cancelled = true;
      ids = s.ids;
    }
    cv_.notify_all();
    ScancelJobs(ids);
  }

  TaskResult Run(const Task& task) override {
    TaskResult result;
    result.started_at = NowMicros();
    result.status = Submit(task, &result);
    if (result.status.ok()) {
      // Wait sets the outcome of the jobs; its own status is about collecting their logs.
      Status collected = Wait(task, &result);
      if (result.status.ok() && !collected.ok()) result.status = collected;
    }
    result.ended_at = NowMicros();
    return result;
  }

 private:
  // The jobs of one stage: the job (or array) and the reduce job.
  struct StageJobs {
    std::vector<std::string> ids;
    // The job that others run after: the reduce job, else the job or array; empty until
    // submitted.
    std::string last;
    bool submit_failed = false;
    bool cancelled = false;
  };
  // What the poller knows about a submitted job.
  struct Job {
    std::string stage;
    bool done = false;
    bool vanished = false;
    std::vector<JobLine> lines;
    std::map<std::string, std::string> reported;  // id -> state last told to the observer
  };

  // Writes the job scripts and submits the stage's jobs, after those of `task.after`.
  Status Submit(const Task& task, TaskResult* result) {
    std::vector<std::string> deps;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        if (Interrupted() || stages_[task.stage].cancelled) return true;
        for (const std::string& a : task.after) {
          const StageJobs& s = stages_[a];
          if (s.last.empty() && !s.submit_failed && !s.cancelled) return false;
        }
        return true;
      });
      StageJobs& self = stages_[task.stage];
      if (Interrupted() || self.cancelled) {
        self.submit_failed = true;
        cv_.notify_all();
        return Status::IOError("stage '" + task.stage + "' was cancelled before it was submitted" +
                               (Interrupted() ? " (interrupted)" : ""));
      }
      for (const std::string& a : task.after) {
        const StageJobs& s = stages_[a];
        if (s.last.empty()) {
          self.submit_failed = true;
          cv_.notify_all();
          return Status::IOError("not submitted: upstream stage '" + a + "' was not submitted");
        }
        deps.push_back(s.last);
      }
    }
    auto submitted = SubmitJobs(task, deps);
    std::unique_lock<std::mutex> lock(mu_);
    StageJobs& self = stages_[task.stage];
    if (!submitted.ok()) {
      self.submit_failed = true;
      cv_.notify_all();
      return submitted.status();
    }
    self.ids = *submitted;
    self.last = submitted->back();
    for (const std::string& id : *submitted) jobs_[id].stage = task.stage;
    result->where = "Slurm job " + submitted->front();
    cv_.notify_all();
    if (self.cancelled || Interrupted()) {
      // Cancelled while being submitted: Cancel did not know these jobs yet.
      std::vector<std::string> ids = self.ids;
      lock.unlock();
      ScancelJobs(ids);
    }
    return Status::Ok();
  }

  // Whether the run was interrupted (the poller may not have noticed yet).
  bool Interrupted() const {
    return interrupted_ || (o_.interrupted != nullptr && o_.interrupted->load());
  }

  std::string Base(const Task& task) const { return dir_ + "/" + task.stage; }

  // The script of the command (or, with `reduce`, of the reduce command).
  std::string Script(const Task& task, bool reduce) const {
    std::string s = "#!/bin/sh\n# Stage '" + task.stage + "' of a cairn pipeline (" +
                    (reduce            ? "reduce"
                     : task.shards > 0 ? "shards"
                                       : "command") +
                    ").\n";
    for (const auto& [k, v] : o_.env) s += "export " + k + "=" + ShellQuote(v) + "\n";
    for (const auto& [k, v] : task.env) s += "export " + k + "=" + ShellQuote(v) + "\n";
    if (task.shards > 0) {
      if (!reduce) s += "export CAIRN_SHARD=\"$SLURM_ARRAY_TASK_ID\"\n";
      s += "export CAIRN_SHARDS=" + std::to_string(task.shards) + "\n";
    }
    s += "cd " + ShellQuote(task.cwd) + " || exit 1\nexec";
    for (const std::string& a : reduce ? task.reduce_argv : task.argv) s += " " + ShellQuote(a);
    return s + "\n";
  }

  Result<std::string> Sbatch(const Task& task, const std::string& script_path,
                             const std::string& log_base, const std::vector<std::string>& deps,
                             int array) {
    std::string pipeline = "cairn";
    for (const auto& [k, v] : task.env) {
      if (k == "CAIRN_PIPELINE") pipeline = v;
    }
    std::vector<std::string> argv = {o_.sbatch,
                                     "--parsable",
                                     "--job-name=" + pipeline + ":" + task.stage,
                                     "--chdir=" + task.cwd,
                                     "--export=NONE",
                                     "--kill-on-invalid-dep=yes",
                                     "--output=" + log_base + (array > 0 ? ".%a" : "") + ".out",
                                     "--error=" + log_base + (array > 0 ? ".%a" : "") + ".err"};
    if (array > 0) argv.push_back("--array=0-" + std::to_string(array - 1));
    if (!deps.empty()) {
      std::string d = "--dependency=afterok";
      for (const std::string& id : deps) d += ":" + id;
      argv.push_back(std::move(d));
    }
    if (!o_.partition.empty()) argv.push_back("--partition=" + o_.partition);
    argv.insert(argv.end(), o_.sbatch_args.begin(), o_.sbatch_args.end());
    argv.push_back(script_path);
    ProgramResult r = RunProgram(argv);
    CAIRN_RETURN_IF_ERROR(r.status);
    if (r.exit_code != 0) {
      return Status::IOError("stage '" + task.stage + "': sbatch failed (exit status " +
                             std::to_string(r.exit_code) + "): " + Trim(r.err));
    }
    std::string id = Trim(r.out);
    id = id.substr(0, id.find(';'));
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      return Status::IOError("stage '" + task.stage + "': sbatch printed no job id: '" +
                             Trim(r.out) + "'");
    }
    return id;
  }

  Result<std::vector<std::string>> SubmitJobs(const Task& task,
                                              const std::vector<std::string>& deps) {
    const std::string base = Base(task);
    CAIRN_RETURN_IF_ERROR(WriteStringToFile(base + ".sh", Script(task, false)));
    std::vector<std::string> ids;
    CAIRN_ASSIGN_OR_RETURN(std::string id, Sbatch(task, base + ".sh", base, deps, task.shards));
    ids.push_back(id);
    Observe(task.stage, id, deps.empty() ? "submitted" : "submitted (after " + JoinIds(deps) + ")");
    if (!task.reduce_argv.empty()) {
      Status written = WriteStringToFile(base + ".reduce.sh", Script(task, true));
      auto reduce = written.ok() ? Sbatch(task, base + ".reduce.sh", base + ".reduce", {id}, 0)
                                 : Result<std::string>(written);
      if (!reduce.ok()) {
        ScancelJobs(ids);
        return reduce.status();
      }
      ids.push_back(*reduce);
      Observe(task.stage, *reduce, "submitted (reduce, after " + id + ")");
    }
    return ids;
  }

  static std::string JoinIds(const std::vector<std::string>& ids) {
    std::string s;
    for (const std::string& id : ids) s += (s.empty() ? "" : ", ") + id;
    return s;
  }

  void Observe(const std::string& stage, const std::string& job, const std::string& state) {
    if (!o_.observer) return;
    std::lock_guard<std::mutex> lock(observer_mu_);
    o_.observer(stage, job, state);
  }

  // Waits until the stage's jobs ended, then sets their outcome in `*result` and collects
  // their logs into the task's files (the status returned).
  Status Wait(const Task& task, TaskResult* result) {
    std::vector<std::string> ids;
    std::vector<Job> jobs;
    bool interrupted = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ids = stages_[task.stage].ids;
      cv_.wait(lock, [&] {
        for (const std::string& id : ids) {
          if (!jobs_[id].done) return false;
        }
        return true;
      });
      for (const std::string& id : ids) jobs.push_back(jobs_[id]);
      interrupted = interrupted_;
    }
    // The first job (or shard, in order) that did not succeed decides the outcome.
    bool decided = false;
    for (const Job& job : jobs) {
      if (job.vanished) {
        result->status = Status::IOError(result->where +
                                         " is no longer known to slurmctld; its outcome is lost");
        decided = true;
        break;
      }
      std::vector<const JobLine*> lines;
      for (const JobLine& l : job.lines) lines.push_back(&l);
      std::sort(lines.begin(), lines.end(),
                [](const JobLine* a, const JobLine* b) { return a->first_task < b->first_task; });
      for (const JobLine* l : lines) {
        TaskResult r;
        Outcome(*l, interrupted, &r);
        if (r.status.ok() && r.exit_code == 0) continue;
        result->status = r.status;
        result->exit_code = r.exit_code;
        result->where = r.where;
        decided = true;
        break;
      }
      if (decided) break;
    }
    if (!decided) result->exit_code = 0;
    // Logs: the shards' in order, then the reduce's.
    const std::string base = Base(task);
    std::vector<std::pair<std::string, std::string>> parts;  // (file base, sink label)
    if (task.shards > 0) {
      for (int i = 0; i < task.shards; ++i) {
        parts.emplace_back(base + "." + std::to_string(i),
                           task.stage + "[" + std::to_string(i) + "]");
      }
      if (!task.reduce_argv.empty()) parts.emplace_back(base + ".reduce", task.stage + "[reduce]");
    } else {
      parts.emplace_back(base, task.stage);
    }
    std::vector<std::string> outs;
    std::vector<std::string> errs;
    for (const auto& [file, label] : parts) {
      outs.push_back(file + ".out");
      errs.push_back(file + ".err");
      if (!o_.sink) continue;
      std::lock_guard<std::mutex> lock(observer_mu_);
      for (bool is_err : {false, true}) {
        auto text = ReadFileToString(file + (is_err ? ".err" : ".out"));
        if (!text.ok()) continue;
        size_t pos = 0;
        while (pos < text->size()) {
          size_t nl = text->find('\n', pos);
          if (nl == std::string::npos) nl = text->size();
          o_.sink(label, is_err, std::string_view(*text).substr(pos, nl - pos));
          pos = nl + 1;
        }
      }
    }
    CAIRN_RETURN_IF_ERROR(ConcatenateLogs(outs, task.stdout_path));
    CAIRN_RETURN_IF_ERROR(ConcatenateLogs(errs, task.stderr_path));
    std::error_code ec;
    fs::remove(base + ".sh", ec);
    fs::remove(base + ".reduce.sh", ec);
    return Status::Ok();
  }

  void ScancelJobs(const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    std::vector<std::string> argv = {o_.scancel};
    argv.insert(argv.end(), ids.begin(), ids.end());
    (void)RunProgram(argv);
  }

  // The poller thread: every poll_ms, the state of every unfinished job.
  void Poll() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!shutdown_) {
      cv_.wait_for(lock, std::chrono::milliseconds(std::max(10, o_.poll_ms)));
      if (shutdown_) break;
      if (o_.interrupted != nullptr && o_.interrupted->load() && !interrupted_) {
        interrupted_ = true;
        std::vector<std::string> all;
        for (const auto& [id, job] : jobs_) {
          if (!job.done) all.push_back(id);
        }
        cv_.notify_all();
        lock.unlock();
        ScancelJobs(all);
        lock.lock();
      }
      std::vector<std::string> active;
      for (const auto& [id, job] : jobs_) {
        if (!job.done) active.push_back(id);
      }
      if (active.empty()) continue;
      lock.unlock();
      std::map<std::string, ProgramResult> seen;
      for (const std::string& id : active) {
        seen[id] = RunProgram({o_.scontrol, "-o", "show", "job", id});
      }
      lock.lock();
      bool changed = false;
      std::vector<std::tuple<std::string, std::string, std::string>> events;
      for (auto& [id, r] : seen) {
        Job& job = jobs_[id];
        if (!r.status.ok()) continue;
        if (r.exit_code != 0) {
          if (r.err.find("Invalid job id") != std::string::npos) {
            job.vanished = true;
            job.done = true;
            changed = true;
          }
          continue;
        }
        job.lines = ParseScontrol(r.out);
        bool done = !job.lines.empty();
        for (const JobLine& l : job.lines) {
          if (!Terminal(l.state)) done = false;
          std::string state = l.state;
          if (l.state == "PENDING" && !l.reason.empty() && l.reason != "None") {
            state += " (" + l.reason + ")";
          }
          if (job.reported[l.id] != state) {
            job.reported[l.id] = state;
            events.emplace_back(job.stage, l.id, state);
          }
        }
        if (done) {
          job.done = true;
          changed = true;
        }
      }
      lock.unlock();
      for (const auto& [stage, id, state] : events) Observe(stage, id, state);
      lock.lock();
      if (changed) cv_.notify_all();
    }
  }

  const SlurmOptions o_;
  const std::string dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::mutex observer_mu_;  // one call at a time to the observer and the sink
  std::map<std::string, StageJobs> stages_;
  std::map<std::string, Job> jobs_;
  bool shutdown_ = false;
  bool interrupted_ = false;
  std::thread poller_;  // last: starts once the members above exist
};

}  // namespace

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

std::string ScontrolField(std::string_view line, std::string_view key) {
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t found = line.find(key, pos);
    if (found == std::string_view::npos) return "";
    const size_t after = found + key.size();
    if ((found == 0 || line[found - 1] == ' ') && after < line.size() && line[after] == '=') {
      const size_t end = line.find(' ', after + 1);
      return std::string(
          line.substr(after + 1, end == std::string_view::npos ? end : end - after - 1));
    }
    pos = found + 1;
  }
  return "";
}

Result<std::unique_ptr<Executor>> MakeSlurmExecutor(SlurmOptions options) {
  ProgramResult version = RunProgram({options.sbatch, "--version"});
  if (!version.status.ok() || version.exit_code != 0) {
    return Status::NotFound("cannot run '" + options.sbatch +
                            "' (is Slurm installed? Debian: apt-get install slurm-wlm); "
                            "or use --executor local");
  }
  if (options.job_dir.empty()) return Status::InvalidArgument("Slurm executor: no job directory");
  std::error_code ec;
  fs::create_directories(options.job_dir, ec);
  if (ec) return Status::IOError(options.job_dir + ": " + ec.message());
  std::string dir = options.job_dir + "/run-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    return Status::IOError("cannot create " + dir + ": " + std::strerror(errno));
  }
  return std::unique_ptr<Executor>(new SlurmExecutor(std::move(options), std::move(dir)));
}

}  // namespace cairn::pipeline
