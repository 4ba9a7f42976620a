// `cairn version`: what was built, from which commit, with which compiler and libraries.

#include <openssl/crypto.h>
#include <snappy-stubs-public.h>
#include <xxhash.h>
#include <zstd.h>

#include <string>

#include "build_info.h"
#include "cli/command.h"
#include "cli/output.h"

namespace cairn::cli {
namespace {

std::string CompilerName() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

std::string XxhashVersion() {
  unsigned v = XXH_versionNumber();
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

std::string SnappyVersion() {
  return std::to_string(SNAPPY_MAJOR) + "." + std::to_string(SNAPPY_MINOR) + "." +
         std::to_string(SNAPPY_PATCHLEVEL);
}

int RunVersion(const Invocation& inv) {
  if (!inv.args.positionals().empty()) {
    return inv.UsageError("unexpected argument '" + inv.args.positionals()[0] + "'");
  }
  const std::string commit = CAIRN_GIT_COMMIT;
  const bool dirty = CAIRN_GIT_DIRTY != 0;
  const std::pair<const char*, std::string> libraries[] = {
      {"zstd", ZSTD_versionString()},
      {"snappy", SnappyVersion()},
      {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)},
      {"simdjson", CAIRN_SIMDJSON_VERSION},
      {"xxhash", XxhashVersion()},
  };
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("version");
    j.String(CAIRN_VERSION);
    j.Key("commit");
    commit.empty() ? j.Null() : j.String(commit);
    j.Key("modified");
    j.Bool(dirty);
    j.Key("compiler");
    j.String(CompilerName());
    j.Key("build_type");
    j.String(CAIRN_BUILD_TYPE);
    j.Key("libraries");
    j.BeginObject();
    for (const auto& [name, version] : libraries) {
      j.Key(name);
      j.String(version);
    }
    j.EndObject();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::string text = "cairn " CAIRN_VERSION "\n";
  text += "commit:    " + (commit.empty() ? std::string("unknown") : commit) +
          (dirty ? " (with local changes)" : "") + "\n";
  text += "compiler:  " + CompilerName() + "\n";
  text += "build:     " + std::string(CAIRN_BUILD_TYPE) + "\n";
  text += "libraries:";
  for (const auto& [name, version] : libraries)
    text += std::string(" ") + name + " " + version + ",";
  text.back() = '\n';
  Write(inv.out, text);
  return kExitOk;
}

}  // namespace

std::vector<Command> VersionCommands() {
  return {{"version",
           "",
           "print the version, commit, compiler and library versions",
           "",
           "",
           {},
           RunVersion}};
}

}  // namespace cairn::cli
