#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cli/flags.h"

namespace cairn::cli {

/// Process exit codes of the cairn binary.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (bad data, I/O error)
inline constexpr int kExitUsage = 2;    // the command line is wrong (unknown flag, missing arg)

struct Command;

/// What a command runs with: its parsed arguments and where to write.
struct Invocation {
  const Command* command = nullptr;
  ParsedArgs args;
  bool json = false;  // --json: one JSON document on standard output
  std::FILE* out = stdout;
  std::FILE* err = stderr;

  /// Prints "cairn: error: <message>" to err and returns kExitFailure.
  int Fail(const Status& status) const;
  /// Prints "cairn: error: <message>", the usage line and a pointer to --help to err, and
  /// returns kExitUsage.
  int UsageError(std::string_view message) const;
};

/// One `cairn <noun> <verb>` command. Help and dispatch both read this table, so they never
/// drift apart.
struct Command {
  std::string_view noun;
  std::string_view verb;         // empty for one-word commands (`cairn version`)
  std::string_view summary;      // one line, for command lists
  std::string_view arguments;    // after the command name in the usage line: "FILE"
  std::string_view description;  // a paragraph for --help (may be empty)
  std::vector<FlagSpec> flags;   // --help and --json are added for every command
  int (*run)(const Invocation& inv) = nullptr;

  /// "cairn table head FILE [flags]".
  std::string UsageLine() const;
  /// "table head" or "version".
  std::string Name() const;
};

/// The commands of each noun, defined in <noun>_commands.cc.
std::vector<Command> CocoCommands();
std::vector<Command> DataCommands();
std::vector<Command> EvalCommands();
std::vector<Command> EvalOutputCommands();
std::vector<Command> ModelCommands();
std::vector<Command> ExecCommands();
std::vector<Command> FileCommands();
std::vector<Command> PipelineCommands();
/// `pipeline schedule | subscriptions | export-airflow`, listed after PipelineCommands.
std::vector<Command> PipelineScheduleCommands();
std::vector<Command> RunCommands();
std::vector<Command> TableCommands();
std::vector<Command> VersionCommands();

/// Every command, in help order.
const std::vector<Command>& AllCommands();

/// Runs the command line `args` (without the program name) and returns the exit code.
int RunCli(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace cairn::cli
