#include <algorithm>
#include <string>

#include "cli/command.h"
#include "cli/output.h"

namespace cairn::cli {
namespace {

const std::vector<FlagSpec>& CommonFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {"help", 'h', false, false, "", "show this help"},
      {"json", 0, false, false, "", "print one JSON document instead of text"},
  };
  return kFlags;
}

constexpr std::string_view kTagline =
    "cairn: versioned training data, metrics and tracking for production ML";

std::string TopHelp() {
  std::string out(kTagline);
  out += "\n\nusage: cairn <noun> <verb> [flags] [arguments]\n\ncommands:\n";
  size_t width = 0;
  for (const Command& c : AllCommands()) width = std::max(width, c.Name().size());
  for (const Command& c : AllCommands()) {
    std::string name = c.Name();
    out += "  " + name + std::string(width - name.size() + 2, ' ') + std::string(c.summary) + "\n";
  }
  out += "\nflags for every command:\n" + FormatFlagHelp(CommonFlags()) +
         "\nRun 'cairn <noun> <verb> --help' for the arguments and flags of a command.\n"
         "Exit status: 0 ok, 1 failure, 2 usage error.\n";
  return out;
}

std::string NounHelp(std::string_view noun) {
  std::string out = "usage: cairn " + std::string(noun) + " <verb> [flags] [arguments]\n\n";
  out += "verbs:\n";
  size_t width = 0;
  for (const Command& c : AllCommands()) {
    if (c.noun == noun) width = std::max(width, c.verb.size());
  }
  for (const Command& c : AllCommands()) {
    if (c.noun != noun) continue;
    out += "  " + std::string(c.verb) + std::string(width - c.verb.size() + 2, ' ') +
           std::string(c.summary) + "\n";
  }
  out += "\nRun 'cairn " + std::string(noun) + " <verb> --help' for details.\n";
  return out;
}

std::string CommandHelp(const Command& c) {
  std::string out = "usage: " + c.UsageLine() + "\n\n" + std::string(c.summary) + ".\n";
  if (!c.description.empty()) out += "\n" + std::string(c.description) + "\n";
  if (!c.flags.empty()) out += "\nflags:\n" + FormatFlagHelp(c.flags);
  out += "\ncommon flags:\n" + FormatFlagHelp(CommonFlags());
  return out;
}

int TopUsageError(std::FILE* err, std::string_view message) {
  Write(err, "cairn: error: " + std::string(message) +
                 "\nusage: cairn <noun> <verb> [flags] [arguments]\n"
                 "Run 'cairn --help' for the list of commands.\n");
  return kExitUsage;
}

bool IsHelp(std::string_view arg) { return arg == "--help" || arg == "-h" || arg == "help"; }

}  // namespace

int Invocation::Fail(const Status& status) const {
  Write(err, "cairn: error: " + status.message() + "\n");
  return kExitFailure;
}

int Invocation::UsageError(std::string_view message) const {
  Write(err, "cairn: error: " + std::string(message) + "\nusage: " + command->UsageLine() +
                 "\nRun 'cairn " + command->Name() + " --help' for details.\n");
  return kExitUsage;
}

std::string Command::Name() const {
  std::string name(noun);
  if (!verb.empty()) name += " " + std::string(verb);
  return name;
}

std::string Command::UsageLine() const {
  std::string line = "cairn " + Name();
  if (!arguments.empty()) line += " " + std::string(arguments);
  line += " [flags]";
  return line;
}

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kAll = [] {
    std::vector<Command> all = DataCommands();
    for (Command& c : FileCommands()) all.push_back(std::move(c));
    for (Command& c : EvalCommands()) all.push_back(std::move(c));
    for (Command& c : EvalOutputCommands()) all.push_back(std::move(c));
    for (Command& c : CocoCommands()) all.push_back(std::move(c));
    for (Command& c : PipelineCommands()) all.push_back(std::move(c));
    for (Command& c : PipelineScheduleCommands()) all.push_back(std::move(c));
    for (Command& c : RunCommands()) all.push_back(std::move(c));
    for (Command& c : ModelCommands()) all.push_back(std::move(c));
    for (Command& c : ExecCommands()) all.push_back(std::move(c));
    for (Command& c : TableCommands()) all.push_back(std::move(c));
    for (Command& c : VersionCommands()) all.push_back(std::move(c));
    return all;
  }();
  return kAll;
}

int RunCli(const std::vector<std::string>& all_args, std::FILE* out, std::FILE* err) {
  std::vector<std::string> args = all_args;
  // A leading --json applies to the command that follows.
  bool leading_json = false;
  while (!args.empty() && args.front() == "--json") {
    leading_json = true;
    args.erase(args.begin());
  }
  if (args.empty()) {
    Write(err, TopHelp());
    return kExitUsage;
  }
  if (IsHelp(args[0])) {
    Write(out, TopHelp());
    return kExitOk;
  }
  if (args[0] == "--version") args[0] = "version";
  if (args[0].size() > 1 && args[0][0] == '-') {
    return TopUsageError(err, "unknown flag '" + args[0] + "'");
  }
  const std::string& noun = args[0];
  const Command* command = nullptr;
  bool noun_known = false;
  size_t rest = 1;
  for (const Command& c : AllCommands()) {
    if (c.noun != noun) continue;
    noun_known = true;
    if (c.verb.empty()) {
      command = &c;
      break;
    }
  }
  if (!noun_known) return TopUsageError(err, "unknown command '" + noun + "'");
  if (command == nullptr) {
    if (args.size() < 2 || IsHelp(args[1])) {
      bool asked = args.size() >= 2;
      if (!asked) Write(err, "cairn: error: missing verb after '" + noun + "'\n");
      Write(asked ? out : err, NounHelp(noun));
      return asked ? kExitOk : kExitUsage;
    }
    for (const Command& c : AllCommands()) {
      if (c.noun == noun && c.verb == args[1]) command = &c;
    }
    if (command == nullptr) {
      Write(err, "cairn: error: unknown command '" + noun + " " + args[1] + "'\n" + NounHelp(noun));
      return kExitUsage;
    }
    rest = 2;
  }
  std::vector<FlagSpec> specs = command->flags;
  specs.insert(specs.end(), CommonFlags().begin(), CommonFlags().end());
  Invocation inv;
  inv.command = command;
  inv.out = out;
  inv.err = err;
  auto parsed = ParseFlags(
      specs, std::vector<std::string>(args.begin() + static_cast<long>(rest), args.end()));
  if (!parsed.ok()) return inv.UsageError(parsed.status().message());
  inv.args = std::move(*parsed);
  if (inv.args.Has("help")) {
    Write(out, CommandHelp(*command));
    return kExitOk;
  }
  inv.json = leading_json || inv.args.Has("json");
  int code = command->run(inv);
  std::fflush(out);
  return code;
}

}  // namespace cairn::cli
