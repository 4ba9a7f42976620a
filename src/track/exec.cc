#include "track/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "base/file.h"
#include "base/time.h"
#include "data/snapshots.h"
#include "table/io.h"
#include "track/artifacts.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace cairn::track {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStdoutArtifact = "stdout.txt";
constexpr std::string_view kStderrArtifact = "stderr.txt";
constexpr std::string_view kMetricsFileName = "CAIRN_METRICS_FILE";
// A stdout line longer than this is passed through and captured but never read as a metric.
constexpr size_t kMaxMetricLine = size_t{1} << 16;
// How long output is still read after the command exited while something it started keeps
// the pipes open.
constexpr int64_t kDrainMicros = 2'000'000;

// The child of the running Exec, for the signal handler; a signal that arrives before the
// child exists is kept in g_pending_signal and sent once it does.
std::atomic<pid_t> g_child{0};
std::atomic<int> g_pending_signal{0};

void ForwardSignal(int sig, siginfo_t* info, void* /*context*/) {
  // A terminal's Ctrl-C (SI_KERNEL) already went to the whole foreground process group,
  // the child included: forwarding it would deliver it twice.
  if (info != nullptr && info->si_code == SI_KERNEL) return;
  const pid_t child = g_child.load();
  if (child > 0) {
    ::kill(child, sig);
  } else {
    g_pending_signal.store(sig);
  }
}

// Writes all of `data` to `fd`; false on an error (EINTR and EAGAIN are waited out).
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // A non-blocking descriptor (our stdout may be one): wait until it takes more.
        pollfd p = {fd, POLLOUT, 0};
        if (::poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Sets up the signal dispositions of one Exec and restores them when destroyed.
class SignalScope {
 public:
  explicit SignalScope(bool forward) {
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    ::sigemptyset(&ignore.sa_mask);
    // A closed stdout must not kill cairn before it records the run.
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);
    struct sigaction forward_action = {};
    forward_action.sa_sigaction = ForwardSignal;
    forward_action.sa_flags = SA_SIGINFO | SA_RESTART;
    ::sigemptyset(&forward_action.sa_mask);
    for (size_t i = 0; i < 2; ++i) {
      ::sigaction(kSignals[i], nullptr, &old_[i]);
      // A signal ignored on entry (a background job of a shell ignores SIGINT) stays ignored.
      installed_[i] = forward && old_[i].sa_handler != SIG_IGN;
      if (installed_[i]) ::sigaction(kSignals[i], &forward_action, nullptr);
    }
  }
  ~SignalScope() {
    for (size_t i = 0; i < 2; ++i) {
      if (installed_[i]) ::sigaction(kSignals[i], &old_[i], nullptr);
    }
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
    g_child.store(0);
    g_pending_signal.store(0);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  // In the child before exec: the dispositions the caller had (a handler becomes the default
  // at exec anyway). Async-signal-safe.
  void RestoreInChild() const {
    for (size_t i = 0; i < 2; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
  }

 private:
  static constexpr int kSignals[2] = {SIGINT, SIGTERM};
  struct sigaction old_[2] = {};
  struct sigaction old_pipe_ = {};
  bool installed_[2] = {false, false};
};

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The state of one Exec after its run started.
class Execution {
 public:
  Execution(data::Workspace& ws, const ExecOptions& options, std::string run_id)
      : ws_(ws), options_(options), run_id_(std::move(run_id)) {}

  ~Execution() {
    std::error_code ec;
    if (!temp_dir_.empty()) fs::remove_all(temp_dir_, ec);
  }
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // Everything after StartRun; the run has ended when it returns.
  ExecResult Run(const data::SnapshotInfo* snapshot) {
    result_.run_id = run_id_;
    Message("run " + run_id_);
    Status prepared = Prepare(snapshot);
    if (!prepared.ok()) {
      Fail(prepared.message());
      Finish(std::nullopt);
      return std::move(result_);
    }
    RunCommand();
    StoreOutputs();
    Finish(result_.exit_code);
    return std::move(result_);
  }

 private:
  void Message(const std::string& text) const {
    WriteAll(options_.stderr_fd, text + "\n");  // best effort: nowhere else to report
  }
  void Warn(const std::string& text) {
    ++result_.warnings;
    Message("cairn exec: warning: " + text);
  }
  void Fail(const std::string& text) {
    Message("cairn exec: error: " + text);
    if (!result_.error.empty()) result_.error += "; ";
    result_.error += text;
  }

  // The run id file, the temporary directory, the split files and the child's environment.
  Status Prepare(const data::SnapshotInfo* snapshot) {
    if (!options_.run_id_file.empty()) {
      Status st = WriteStringToFile(options_.run_id_file, run_id_ + "\n");
      if (!st.ok()) return Status::IOError("--run-id-file: " + st.message());
    }
    std::string root = options_.temp_root;
    if (root.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      root = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    std::string pattern = root + "/cairn-exec-" + run_id_.substr(0, 12) + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status::IOError("cannot create a temporary directory in " + root + ": " +
                             ErrnoText(errno));
    }
    temp_dir_ = pattern;
    metrics_file_ = temp_dir_ + "/metrics.jsonl";
    CAIRN_RETURN_IF_ERROR(WriteStringToFile(metrics_file_, ""));

    std::vector<std::pair<std::string, std::string>> vars;
    vars.emplace_back("CAIRN_RUN_ID", run_id_);
    vars.emplace_back("CAIRN_METRICS_FILE", metrics_file_);
    if (!ws_.root().empty()) {
      std::error_code ec;
      const std::string abs = fs::absolute(ws_.root(), ec).lexically_normal().string();
      vars.emplace_back("CAIRN_WORKSPACE", abs);
      vars.emplace_back("CAIRN_HOME", abs);
    } else {
      vars.emplace_back("CAIRN_CATALOG", ws_.catalog_uri());
      vars.emplace_back("CAIRN_STORE", ws_.store_uri());
    }
    if (snapshot != nullptr) {
      vars.emplace_back("CAIRN_SNAPSHOT", snapshot->id);
      fs::create_directories(temp_dir_ + "/splits");
      for (const data::SplitInfo& split : snapshot->splits) {
        CAIRN_ASSIGN_OR_RETURN(table::FileFormat format,
                               table::ParseFileFormat(options_.split_format));
        const std::string path =
            temp_dir_ + "/splits/" + split.name + "." + std::string(table::FileFormatName(format));
        CAIRN_ASSIGN_OR_RETURN(table::Table t,
                               data::ReadSnapshotVersions(ws_, *snapshot, split.name));
        table::WriteOptions wo;
        wo.format = format;
        Status st = table::WriteTable(path, t, wo);
        if (!st.ok()) {
          return Status(st.code(), "exporting split '" + split.name + "' of snapshot " +
                                       snapshot->id + ": " + st.message());
        }
        vars.emplace_back(SplitVariable(split.name), path);
      }
    }
    // The inherited environment without the variables of an enclosing cairn exec.
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const std::string_view name = entry.substr(0, entry.find('='));
      const bool ours =
          name.starts_with("CAIRN_SPLIT_") || name == "CAIRN_SNAPSHOT" ||
          name == "CAIRN_WORKSPACE" ||
          std::any_of(vars.begin(), vars.end(), [&](const auto& v) { return v.first == name; });
      if (!ours) env_.emplace_back(entry);
    }
    for (const auto& [name, value] : vars)
      env_.push_back(std::string(name).append("=").append(value));
    return Status::Ok();
  }

  // Forks, passes output through, reads metrics, waits. Sets result_.exit_code.
  void RunCommand() {
    std::vector<char*> argv;
    for (const std::string& a : options_.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const std::string& e : env_) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int out_pipe[2];
    int err_pipe[2];
    int exec_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Broken("pipe");
    Fd out_read(out_pipe[0]);
    Fd out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) return Broken("pipe");
    Fd err_read(err_pipe[0]);
    Fd err_write(err_pipe[1]);
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) return Broken("pipe");
    Fd exec_read(exec_pipe[0]);
    Fd exec_write(exec_pipe[1]);
    stdout_capture_.Reset(::open((temp_dir_ + "/stdout.txt").c_str(),
                                 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    stderr_capture_.Reset(::open((temp_dir_ + "/stderr.txt").c_str(),
                                 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (stdout_capture_.get() < 0 || stderr_capture_.get() < 0) return Broken("capture file");

    SignalScope signals(options_.forward_signals);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return Broken("fork");
    if (pid == 0) {
      // Only async-signal-safe calls from here on.
      signals.RestoreInChild();
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
      ::dup2(out_pipe[1], STDOUT_FILENO);
      ::dup2(err_pipe[1], STDERR_FILENO);
      ::execvpe(argv[0], argv.data(), envp.data());
      const int err = errno;
      WriteAll(exec_pipe[1], std::string_view(reinterpret_cast<const char*>(&err), sizeof err));
      ::_exit(err == ENOENT ? 127 : 126);
    }
    g_child.store(pid);
    if (const int sig = g_pending_signal.exchange(0); sig != 0) ::kill(pid, sig);
    out_write.Close();
    err_write.Close();
    exec_write.Close();
    // EOF at a successful exec (close-on-exec), an errno when it failed.
    int exec_errno = 0;
    ssize_t got;
    do {
      got = ::read(exec_read.get(), &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(sizeof exec_errno)) exec_errno = 0;

    Pump(pid, &out_read, &err_read);
    if (exec_errno != 0) {
      Fail("cannot run '" + options_.command[0] + "': " + ErrnoText(exec_errno));
    }
  }

  void Broken(const std::string& what) {
    Fail(what + ": " + ErrnoText(errno));
    result_.exit_code = 1;
  }

  // Reads both pipes until the command has exited and they are drained, logging metrics.
  void Pump(pid_t pid, Fd* out, Fd* err) {
    char buf[1 << 16];
    int64_t last_flush = NowMicros();
    std::optional<int> wait_status;
    int64_t exited_at = 0;
    while (out->get() >= 0 || err->get() >= 0) {
      if (!wait_status) {
        int status = 0;
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) {
          wait_status = status;
          exited_at = NowMicros();
          g_child.store(0);
        }
      } else if (NowMicros() - exited_at > kDrainMicros) {
        break;  // something the command started still holds its output open
      }
      pollfd fds[2];
      nfds_t n = 0;
      for (Fd* f : {out, err}) {
        if (f->get() >= 0) fds[n++] = {f->get(), POLLIN, 0};
      }
      const int ready = ::poll(fds, n, 100);
      if (ready < 0 && errno != EINTR) break;
      for (nfds_t i = 0; ready > 0 && i < n; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const bool is_out = fds[i].fd == out->get();
        const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r <= 0) {
          (is_out ? out : err)->Close();
          continue;
        }
        const std::string_view data(buf, static_cast<size_t>(r));
        Pass(is_out, data);
        if (is_out) ScanStdout(data);
      }
      if (NowMicros() - last_flush >= options_.flush_interval_ms * 1000) {
        ReadMetricsFile(false);
        Flush();
        last_flush = NowMicros();
      }
    }
    if (!partial_line_.empty() || skipping_line_) EndStdoutLine();
    if (!wait_status) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      wait_status = status;
      g_child.store(0);
    }
    result_.exit_code = WIFEXITED(*wait_status)     ? WEXITSTATUS(*wait_status)
                        : WIFSIGNALED(*wait_status) ? 128 + WTERMSIG(*wait_status)
                                                    : 1;
    ReadMetricsFile(true);
    Flush();
  }

  // Passes output through to our own stream and appends it to the capture file.
  void Pass(bool is_out, std::string_view data) {
    bool& pass_ok = is_out ? stdout_pass_ok_ : stderr_pass_ok_;
    // Once our own stream is gone (a closed pipe) the output is still captured.
    if (pass_ok) pass_ok = WriteAll(is_out ? options_.stdout_fd : options_.stderr_fd, data);
    bool& capture_ok = is_out ? stdout_capture_ok_ : stderr_capture_ok_;
    if (capture_ok && !WriteAll((is_out ? stdout_capture_ : stderr_capture_).get(), data)) {
      capture_ok = false;
      Fail("capturing " + std::string(is_out ? "stdout" : "stderr") + ": " + ErrnoText(errno));
    }
  }

  void ScanStdout(std::string_view data) {
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      const std::string_view piece = data.substr(0, nl);
      if (!skipping_line_) {
        partial_line_.append(piece);
        if (partial_line_.size() > kMaxMetricLine) {
          skipping_long_metric_ = partial_line_.starts_with(kMetricLinePrefix);
          skipping_line_ = true;
          partial_line_.clear();
        }
      }
      if (nl == std::string_view::npos) return;
      EndStdoutLine();
      data.remove_prefix(nl + 1);
    }
  }

  void EndStdoutLine() {
    ++stdout_line_;
    if (skipping_line_) {
      if (skipping_long_metric_) {
        Warn("stdout line " + std::to_string(stdout_line_) + ": metric line longer than " +
             std::to_string(kMaxMetricLine) + " bytes, ignored");
      }
    } else {
      auto parsed = ParseMetricLine(partial_line_, stdout_line_);
      if (!parsed.ok()) {
        Warn("stdout " + parsed.status().message() + ", ignored");
      } else if (*parsed) {
        for (MetricPoint& p : **parsed) pending_.push_back(std::move(p));
      }
    }
    partial_line_.clear();
    skipping_line_ = false;
    skipping_long_metric_ = false;
  }

  // Reads what was appended to the metrics file since the last call: complete lines only,
  // unless `final`.
  void ReadMetricsFile(bool final) {
    struct stat st = {};
    if (::stat(metrics_file_.c_str(), &st) != 0) return;  // removed by the command: nothing new
    const auto size = static_cast<int64_t>(st.st_size);
    if (size < metrics_offset_) {
      Warn(std::string(kMetricsFileName) + " shrank; reading it again from the start");
      metrics_offset_ = 0;
      metrics_line_ = 0;
    }
    if (size == metrics_offset_) return;
    Fd fd(::open(metrics_file_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return;
    std::string text(static_cast<size_t>(size - metrics_offset_), '\0');
    size_t have = 0;
    while (have < text.size()) {
      const ssize_t r = ::pread(fd.get(), text.data() + have, text.size() - have,
                                static_cast<off_t>(metrics_offset_) + static_cast<off_t>(have));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      have += static_cast<size_t>(r);
    }
    text.resize(have);
    const size_t end = final ? text.size() : text.rfind('\n') + 1;  // npos + 1 == 0
    size_t pos = 0;
    while (pos < end) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos || nl > end) nl = end;
      const std::string_view line(text.data() + pos, nl - pos);
      pos = nl + 1;
      ++metrics_line_;
      auto points = ParseMetricLines(line, kMetricsFileName);
      if (points.ok()) {
        for (MetricPoint& p : *points) pending_.push_back(std::move(p));
        continue;
      }
      // The message names line 1 of the single line parsed; name the line of the file.
      std::string message = points.status().message();
      const std::string one = std::string(kMetricsFileName) + ":1:";
      if (message.starts_with(one)) {
        message = std::string(kMetricsFileName) + ":" + std::to_string(metrics_line_) + ":" +
                  message.substr(one.size());
      }
      Warn(message + ", ignored");
    }
    metrics_offset_ += static_cast<int64_t>(std::min(end, text.size()));
  }

  // Writes the pending metric points in one transaction; kept for the next try on failure.
  void Flush() {
    if (pending_.empty()) return;
    Status st = LogMetrics(ws_, run_id_, pending_);
    if (st.ok()) {
      result_.metric_points += static_cast<int64_t>(pending_.size());
      pending_.clear();
      flush_warned_ = false;
      return;
    }
    if (st.code() == StatusCode::kInvalidArgument) {
      Warn("dropped " + std::to_string(pending_.size()) + " metric points: " + st.message());
      pending_.clear();
    } else if (!flush_warned_) {
      Warn("logging metrics (will retry): " + st.message());
      flush_warned_ = true;
    }
  }

  // Stores every --output, then the captured stdout and stderr.
  void StoreOutputs() {
    std::error_code ec;
    for (const std::string& path : options_.outputs) {
      auto name = OutputArtifactName(path);
      if (!name.ok()) {
        Fail(name.status().message());
        continue;
      }
      if (fs::is_directory(path, ec)) {
        std::vector<std::pair<std::string, std::string>> files;  // name, path
        for (auto it = fs::recursive_directory_iterator(path, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
          if (!it->is_regular_file(ec)) continue;
          const std::string rel = it->path().lexically_relative(path).generic_string();
          files.emplace_back(*name + "/" + rel, it->path().string());
        }
        if (ec) Fail("output '" + path + "': " + ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& [artifact, file] : files) Store(artifact, file);
      } else if (fs::is_regular_file(path, ec)) {
        Store(*name, path);
      } else if (fs::exists(path, ec)) {
        Fail("output '" + path + "' is neither a regular file nor a directory");
      } else {
        Fail("output '" + path + "' does not exist");
      }
    }
    stdout_capture_.Close();
    stderr_capture_.Close();
    if (!temp_dir_.empty() && fs::exists(temp_dir_ + "/stdout.txt", ec)) {
      Store(std::string(kStdoutArtifact), temp_dir_ + "/stdout.txt");
      Store(std::string(kStderrArtifact), temp_dir_ + "/stderr.txt");
    }
  }

  void Store(const std::string& name, const std::string& path) {
    auto stored = LogArtifactFile(ws_, run_id_, name, path);
    if (stored.ok()) {
      result_.artifacts.push_back(name);
    } else {
      Fail("storing output '" + name + "': " + stored.status().message());
    }
  }

  // Ends the run: finished when the command exited 0 and nothing else failed.
  void Finish(std::optional<int> exit_code) {
    const bool ok = exit_code && *exit_code == 0 && result_.error.empty();
    result_.status = ok ? RunStatus::kFinished : RunStatus::kFailed;
    result_.process_exit_code = ok ? 0 : (exit_code && *exit_code != 0 ? *exit_code : 1);
    if (!exit_code) result_.exit_code = 1;
    if (!result_.error.empty()) {
      Status st = SetTags(ws_, run_id_, {{"exec.error", result_.error}});
      if (!st.ok()) Message("cairn exec: error: tagging run " + run_id_ + ": " + st.message());
    }
    Status st = EndRun(ws_, run_id_, result_.status,
                       exit_code ? std::optional<int64_t>(*exit_code) : std::nullopt);
    if (!st.ok()) Message("cairn exec: error: ending run " + run_id_ + ": " + st.message());
    std::string summary =
        "run " + run_id_.substr(0, 12) + " " + std::string(RunStatusName(result_.status));
    if (exit_code) summary += " (exit code " + std::to_string(*exit_code) + ")";
    Message(summary);
  }

  data::Workspace& ws_;
  const ExecOptions& options_;
  const std::string run_id_;
  ExecResult result_;
  std::string temp_dir_;
  std::string metrics_file_;
  std::vector<std::string> env_;
  Fd stdout_capture_;
  Fd stderr_capture_;
  bool stdout_pass_ok_ = true;
  bool stderr_pass_ok_ = true;
  bool stdout_capture_ok_ = true;
  bool stderr_capture_ok_ = true;
  std::string partial_line_;
  bool skipping_line_ = false;
  bool skipping_long_metric_ = false;
  int64_t stdout_line_ = 0;
  int64_t metrics_offset_ = 0;
  int64_t metrics_line_ = 0;
  std::vector<MetricPoint> pending_;
  bool flush_warned_ = false;
};

}  // namespace

Result<std::optional<std::vector<MetricPoint>>> ParseMetricLine(std::string_view line,
                                                                int64_t line_number) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (!line.starts_with(kMetricLinePrefix)) return std::optional<std::vector<MetricPoint>>();
  const std::string where = "line " + std::to_string(line_number) + ": ";
  std::string_view rest = line.substr(kMetricLinePrefix.size());
  std::vector<MetricPoint> points;
  std::optional<int64_t> step;
  std::set<std::string, std::less<>> seen;
  while (true) {
    const size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const size_t end = rest.find(' ');
    const std::string_view pair = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    auto kv = ParseKeyValue("metric", pair);
    if (!kv.ok()) return Status::InvalidArgument(where + kv.status().message());
    const std::string quoted = "'" + std::string(pair) + "'";
    if (kv->first == "step") {
      int64_t n = 0;
      const char* first = kv->second.data();
      const char* last = first + kv->second.size();
      const auto [ptr, ec] = std::from_chars(first, last, n);
      if (kv->second.empty() || ec != std::errc() || ptr != last) {
        return Status::InvalidArgument(where + quoted + ": the step must be an integer");
      }
      if (step) return Status::InvalidArgument(where + "step given twice");
      step = n;
      continue;
    }
    if (InferParamType(kv->second) == "string") {
      return Status::InvalidArgument(where + quoted + ": the value must be a finite number");
    }
    if (!seen.insert(kv->first).second) {
      return Status::InvalidArgument(where + "metric '" + kv->first + "' given twice");
    }
    points.push_back({kv->first, 0, std::strtod(kv->second.c_str(), nullptr), 0});
  }
  if (points.empty()) {
    return Status::InvalidArgument(where + "a metric line needs at least one KEY=VALUE");
  }
  for (MetricPoint& p : points) p.step = step.value_or(0);
  return std::optional<std::vector<MetricPoint>>(std::move(points));
}

Result<std::string> OutputArtifactName(std::string_view path) {
  const std::string given(path);
  if (path.empty()) return Status::InvalidArgument("--output: the path must not be empty");
  const fs::path p(given);
  if (p.is_absolute()) {
    return Status::InvalidArgument("--output '" + given + "': must be a relative path");
  }
  for (const fs::path& part : p) {
    if (part == "..") {
      return Status::InvalidArgument("--output '" + given + "': must not contain '..'");
    }
  }
  std::string name = p.lexically_normal().generic_string();
  while (name.ends_with('/')) name.pop_back();
  if (name.empty() || name == ".") {
    return Status::InvalidArgument("--output '" + given + "': names no file or directory");
  }
  if (name == kStdoutArtifact || name == kStderrArtifact) {
    return Status::InvalidArgument("--output '" + given + "': the artifact name '" + name +
                                   "' is taken by the captured output");
  }
  Status st = CheckArtifactName(name);
  if (!st.ok()) return Status::InvalidArgument("--output '" + given + "': " + st.message());
  return name;
}

std::string SplitVariable(std::string_view split) {
  std::string var = "CAIRN_SPLIT_";
  for (const char c : split) {
    if (c == '-') {
      var += '_';
    } else if (c >= 'a' && c <= 'z') {
      var += static_cast<char>(c - 'a' + 'A');
    } else {
      var += c;
    }
  }
  return var;
}

Result<ExecResult> Exec(data::Workspace& ws, const ExecOptions& options) {
  if (options.command.empty() || options.command[0].empty()) {
    return Status::InvalidArgument("no command to run");
  }
  for (const std::string& out : options.outputs) {
    CAIRN_RETURN_IF_ERROR(OutputArtifactName(out).status());
  }
  CAIRN_RETURN_IF_ERROR(table::ParseFileFormat(options.split_format)
                            .status()
                            .WithPrefix("split format '" + options.split_format + "'"));
  StartOptions start = options.run;
  start.pid = 0;  // this process: if it dies, the run shows as failed
  std::optional<data::SnapshotInfo> snapshot;
  if (!start.snapshot.empty()) {
    CAIRN_ASSIGN_OR_RETURN(snapshot, data::GetSnapshot(ws, start.snapshot));
    start.snapshot = snapshot->id;
  }
  CAIRN_ASSIGN_OR_RETURN(RunInfo run, StartRun(ws, start));
  Execution execution(ws, options, run.id);
  return execution.Run(snapshot ? &*snapshot : nullptr);
}

}  // namespace cairn::track
