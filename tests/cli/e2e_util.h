#pragma once
// Helpers of the end-to-end tests of the cairn binary: run it in a scratch directory and
// capture exit code, standard output and standard error.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace cairn::test {

namespace fs = std::filesystem;

inline const std::string kData = std::string(CAIRN_TEST_DATA_DIR) + "/cli/";

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string Quote(const std::string& s) {
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

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn_cli_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Tmp(const std::string& name) const { return dir_ + "/" + name; }

  // Runs the binary with `args` (each quoted for the shell).
  RunResult Run(const std::vector<std::string>& args) {
    std::string cmd = "CAIRN_PROGRESS=0 " + Quote(CAIRN_BINARY);
    for (const auto& a : args) cmd += " " + Quote(a);
    return Shell(cmd);
  }

  // Runs a shell command line, capturing standard output, standard error and exit code.
  RunResult Shell(std::string cmd) {
    std::string err_path = Tmp("stderr.txt");
    cmd += " 2>" + Quote(err_path) + " </dev/null";
    RunResult r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.err = ReadFile(err_path);
    return r;
  }

  std::string dir_;
};

// Parses `json` and fails the test if it is not one valid JSON document.
inline simdjson::dom::element ParseJson(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  auto error = parser.parse(json).get(doc);
  EXPECT_EQ(error, simdjson::SUCCESS) << "invalid JSON: " << json;
  return doc;
}

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace cairn::test
