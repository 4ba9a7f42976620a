// End-to-end tests of `cairn model`: a workspace in a scratch directory, driven through the
// binary, with registrations racing as separate processes.

#include <fstream>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace cairn::test {
namespace {

class ModelCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Run({"init", dir_}).exit_code, 0);
  }
  std::string Command(const std::vector<std::string>& args) {
    std::string cmd = "cd " + Quote(dir_) + " && CAIRN_PROGRESS=0 " + Quote(CAIRN_BINARY);
    for (const auto& a : args) cmd += " " + Quote(a);
    return cmd;
  }
  RunResult In(const std::vector<std::string>& args) { return Shell(Command(args)); }
};

TEST_F(ModelCliTest, ConcurrentRegistrationsGateFileErrorsAndExport) {
  RunResult run = In({"run", "start", "--name", "train"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string id = run.out.substr(0, 32);
  std::ofstream(Tmp("model.bin")) << "weights";
  RunResult first = In({"model", "register", "digits", "--run", id, "--artifact", "model.bin",
                        "--file", Tmp("model.bin")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "digits version 1\n");

  // 20 processes at once; each prints its number.
  std::string script;
  for (int i = 0; i < 20; ++i) {
    script += Command({"model", "register", "digits", "--run", id, "--artifact", "model.bin"}) +
              " > " + Quote(Tmp("out" + std::to_string(i))) + " & ";
  }
  ASSERT_EQ(Shell("(" + script + "wait)").exit_code, 0);
  std::vector<bool> seen(22, false);
  for (int i = 0; i < 20; ++i) {
    const std::string out = ReadFile(Tmp("out" + std::to_string(i)));
    ASSERT_EQ(out.rfind("digits version ", 0), 0u) << out;
    const int n = std::stoi(out.substr(15));
    ASSERT_TRUE(n >= 2 && n <= 21) << out;
    EXPECT_FALSE(seen[static_cast<size_t>(n)]) << "version " << n << " given twice";
    seen[static_cast<size_t>(n)] = true;
  }
  simdjson::dom::parser parser;
  RunResult show = In({"model", "show", "digits", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto doc = ParseJson(parser, show.out);
  EXPECT_EQ(simdjson::dom::array(doc["versions"]).size(), 21u);

  std::ofstream(Tmp("gate.yaml")) << "rules:\n  - f1_macro >= 0.8\n  - max_drop f1_macro\n";
  RunResult bad =
      In({"model", "promote", "digits", "2", "--alias", "production", "--gate", Tmp("gate.yaml")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(Contains(bad.err, Tmp("gate.yaml") + ":3: 'rules[1]'")) << bad.err;
  RunResult unknown = In({"model", "promote", "digits", "22", "--alias", "production"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(Contains(unknown.err, "has no version or alias '22' (versions 1 to 21"))
      << unknown.err;
  EXPECT_EQ(In({"model", "promote", "digits", "2"}).exit_code, 2);

  RunResult moved = In({"model", "promote", "digits", "v3", "--alias", "production"});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  RunResult got = In({"model", "get", "digits", "production", "-o", Tmp("exported.bin")});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(ReadFile(Tmp("exported.bin")), "weights");
  RunResult history = In({"model", "history", "digits", "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto events = ParseJson(parser, history.out);
  ASSERT_EQ(simdjson::dom::array(events).size(), 1u);
  EXPECT_EQ(int64_t(events.at(0)["to_version"].get_int64()), 3);
}

}  // namespace
}  // namespace cairn::test
