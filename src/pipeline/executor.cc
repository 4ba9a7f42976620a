#include "pipeline/executor.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "base/thread_pool.h"
#include "base/time.h"

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace cairn::pipeline {

namespace {

std::string ErrnoText() { return std::strerror(errno); }

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int* out() { return &fd_; }

 private:
  int fd_ = -1;
};

Status WriteAll(int fd, const char* data, size_t size, const std::string& name) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(name + ": write: " + ErrnoText());
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

class LocalExecutor final : public Executor {
 public:
  LocalExecutor(int jobs, LineSink sink) : jobs_(ResolveThreads(jobs)), sink_(std::move(sink)) {}

  int slots() const override { return jobs_; }

  TaskResult Run(const Task& task) override {
    TaskResult result;
    result.started_at = NowMicros();
    if (task.shards > 0) {
      RunShards(task, &result);
    } else {
      result.status = RunChild(task, &result.exit_code);
    }
    result.ended_at = NowMicros();
    return result;
  }

 private:
  // The shards as processes (up to jobs_ at once), then the reduce; their logs are written to
  // files of their own and then concatenated, in shard order, into the task's.
  void RunShards(const Task& task, TaskResult* result) {
    const int n = task.shards;
    const std::string count = std::to_string(n);
    std::vector<Task> parts;
    for (int i = 0; i <= n; ++i) {
      if (i == n && task.reduce_argv.empty()) break;
      const std::string part = i < n ? std::to_string(i) : "reduce";
      Task t;
      t.stage = task.stage + "[" + part + "]";
      t.argv = i < n ? task.argv : task.reduce_argv;
      t.cwd = task.cwd;
      t.env = task.env;
      if (i < n) t.env.emplace_back("CAIRN_SHARD", part);
      t.env.emplace_back("CAIRN_SHARDS", count);
      t.stdout_path = task.stdout_path + "." + part;
      t.stderr_path = task.stderr_path + "." + part;
      parts.push_back(std::move(t));
    }
    std::vector<Status> statuses(parts.size());
    std::vector<int> codes(parts.size(), -1);
    ParallelFor(n, std::min(n, jobs_), [&](int64_t i) {
      const auto k = static_cast<size_t>(i);
      statuses[k] = RunChild(parts[k], &codes[k]);
    });
    size_t failed = 0;
    while (failed < static_cast<size_t>(n) && statuses[failed].ok() && codes[failed] == 0) {
      ++failed;
    }
    if (failed == static_cast<size_t>(n) && parts.size() > static_cast<size_t>(n)) {
      statuses[failed] = RunChild(parts[failed], &codes[failed]);
      if (statuses[failed].ok() && codes[failed] == 0) ++failed;
    }
    if (failed < parts.size()) {
      result->status = statuses[failed];
      result->exit_code = codes[failed];
      result->where = failed < static_cast<size_t>(n) ? "shard " + std::to_string(failed)
                                                      : std::string("reduce");
    } else {
      result->exit_code = 0;
    }
    std::vector<std::string> outs;
    std::vector<std::string> errs;
    for (const Task& t : parts) {
      outs.push_back(t.stdout_path);
      errs.push_back(t.stderr_path);
    }
    for (const Status& st :
         {ConcatenateLogs(outs, task.stdout_path), ConcatenateLogs(errs, task.stderr_path)}) {
      if (result->status.ok() && !st.ok()) result->status = st;
    }
  }

  Status RunChild(const Task& task, int* exit_code) {
    Fd out_file(::open(task.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out_file.get() < 0) return Status::IOError(task.stdout_path + ": " + ErrnoText());
    Fd err_file(::open(task.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (err_file.get() < 0) return Status::IOError(task.stderr_path + ": " + ErrnoText());
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Status::IOError("pipe: " + ErrnoText());
    Fd out_read(out_pipe[0]);
    Fd out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) return Status::IOError("pipe: " + ErrnoText());
    Fd err_read(err_pipe[0]);
    Fd err_write(err_pipe[1]);

    // The environment: ours, with the task's variables replacing or added.
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const size_t eq = entry.find('=');
      if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [k, v] : task.env) vars[k] = v;
    std::vector<std::string> env_strings;
    env_strings.reserve(vars.size());
    for (const auto& [k, v] : vars) {
      std::string entry = k;
      entry += '=';
      entry += v;
      env_strings.push_back(std::move(entry));
    }
    std::vector<char*> envp;
    envp.reserve(env_strings.size() + 1);
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = task.argv;
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
    posix_spawn_file_actions_addchdir_np(&actions, task.cwd.c_str());
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      return Status::IOError("cannot start " + task.argv[0] + " in " + task.cwd + ": " +
                             std::strerror(rc));
    }
    out_write.Reset();
    err_write.Reset();

    // Copy both pipes to the files and the sink until the child closes them.
    Status copy_status;
    std::string partial[2];
    pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
    const int files[2] = {out_file.get(), err_file.get()};
    const std::string* names[2] = {&task.stdout_path, &task.stderr_path};
    int open_pipes = 2;
    std::string buf(65536, '\0');
    while (open_pipes > 0) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        copy_status = Status::IOError("poll: " + ErrnoText());
        break;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fds[i].fd = -1;
          --open_pipes;
          continue;
        }
        const auto size = static_cast<size_t>(n);
        if (copy_status.ok()) copy_status = WriteAll(files[i], buf.data(), size, *names[i]);
        partial[i].append(buf.data(), size);
        Emit(task.stage, i == 1, &partial[i], false);
      }
    }
    for (int i = 0; i < 2; ++i) Emit(task.stage, i == 1, &partial[i], true);
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0) {
      if (errno != EINTR) return Status::IOError("waitpid: " + ErrnoText());
    }
    *exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    if (::fsync(out_file.get()) != 0 || ::fsync(err_file.get()) != 0) {
      if (copy_status.ok()) copy_status = Status::IOError("fsync of a log: " + ErrnoText());
    }
    return copy_status;
  }

  // Passes the complete lines of `*pending` (all of it when `flush`) to the sink.
  void Emit(std::string_view stage, bool is_stderr, std::string* pending, bool flush) {
    if (!sink_) {
      pending->clear();
      return;
    }
    size_t start = 0;
    std::lock_guard<std::mutex> lock(sink_mu_);
    while (true) {
      const size_t nl = pending->find('\n', start);
      if (nl == std::string::npos) break;
      sink_(stage, is_stderr, std::string_view(*pending).substr(start, nl - start));
      start = nl + 1;
    }
    // A line longer than the buffer is passed on in pieces rather than held without bound.
    if ((flush || pending->size() - start > kMaxLine) && start < pending->size()) {
      sink_(stage, is_stderr, std::string_view(*pending).substr(start));
      start = pending->size();
    }
    pending->erase(0, start);
  }

  static constexpr size_t kMaxLine = 65536;
  int jobs_;
  LineSink sink_;
  std::mutex sink_mu_;
};

}  // namespace

Status ConcatenateLogs(const std::vector<std::string>& parts, const std::string& dest) {
  Fd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) return Status::IOError(dest + ": " + ErrnoText());
  std::string buf(65536, '\0');
  for (const std::string& part : parts) {
    Fd in(::open(part.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) {
      if (errno == ENOENT) continue;
      return Status::IOError(part + ": " + ErrnoText());
    }
    while (true) {
      const ssize_t n = ::read(in.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IOError(part + ": read: " + ErrnoText());
      if (n == 0) break;
      CAIRN_RETURN_IF_ERROR(WriteAll(out.get(), buf.data(), static_cast<size_t>(n), dest));
    }
    in.Reset();
    ::unlink(part.c_str());
  }
  if (::fsync(out.get()) != 0) return Status::IOError(dest + ": fsync: " + ErrnoText());
  return Status::Ok();
}

std::unique_ptr<Executor> MakeLocalExecutor(int jobs, LineSink sink) {
  return std::make_unique<LocalExecutor>(jobs, std::move(sink));
}

}  // namespace cairn::pipeline
