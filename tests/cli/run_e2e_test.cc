// End-to-end tests of `cairn run`: a workspace in a scratch directory, driven through the
// binary the way a training script would.

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace cairn::test {
namespace {

class RunCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Run({"init", dir_}).exit_code, 0);
  }
  // Runs the binary inside the workspace.
  RunResult In(const std::vector<std::string>& args) {
    std::string cmd = "cd " + Quote(dir_) + " && CAIRN_PROGRESS=0 " + Quote(CAIRN_BINARY);
    for (const auto& a : args) cmd += " " + Quote(a);
    return Shell(cmd);
  }
  std::string Start(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"run", "start"};
    args.insert(args.end(), flags.begin(), flags.end());
    RunResult r = In(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.size(), 33u) << r.out;  // 32 hex digits and a newline
    return r.out.substr(0, 32);
  }
};

TEST_F(RunCliTest, StartLogEndShowAndList) {
  const std::string a = Start({"--name", "resnet-rain", "--param", "lr=0.01", "--param", "batch=32",
                               "--tag", "team=perception"});
  const std::string b = Start({"--name", "resnet-snow", "--param", "lr=0.1"});
  const std::string c = Start({"--name", "vit", "--param", "lr=0.001"});
  EXPECT_EQ(In({"run", "log", a, "--metric", "val_f1=0.81", "--step", "3"}).exit_code, 0);
  std::ofstream(Tmp("m.jsonl")) << "{\"key\": \"val_f1\", \"value\": 0.7, \"step\": 1}\n"
                                   "{\"key\": \"val_f1\", \"value\": 0.9, \"step\": 2}\n";
  RunResult logged = In({"run", "log", b, "--file", Tmp("m.jsonl")});
  EXPECT_EQ(logged.exit_code, 0) << logged.err;
  EXPECT_EQ(logged.out, "logged 2 metric points to run " + b.substr(0, 12) + "\n");
  EXPECT_EQ(In({"run", "log", c, "-m", "val_f1=0.95"}).exit_code, 0);
  EXPECT_EQ(In({"run", "param", a, "lr=0.01", "epochs=10"}).exit_code, 0);
  EXPECT_EQ(In({"run", "end", a, "--exit-code", "0"}).exit_code, 0);
  EXPECT_EQ(In({"run", "end", c, "--status", "failed", "--exit-code", "137"}).exit_code, 0);

  simdjson::dom::parser parser;
  RunResult show = In({"run", "show", a.substr(0, 6), "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto doc = ParseJson(parser, show.out);
  EXPECT_EQ(std::string_view(doc["id"].get_string()), a);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "finished");
  EXPECT_EQ(int64_t(doc["exit_code"].get_int64()), 0);
  EXPECT_EQ(std::string_view(doc["params"]["lr"]["value"].get_string()), "0.01");
  EXPECT_EQ(std::string_view(doc["params"]["epochs"]["type"].get_string()), "int64");
  EXPECT_EQ(std::string_view(doc["tags"]["team"].get_string()), "perception");
  EXPECT_EQ(double(doc["metrics"]["val_f1"].at(0)["value"].get_double()), 0.81);
  EXPECT_EQ(int64_t(doc["metrics"]["val_f1"].at(0)["step"].get_int64()), 3);
  EXPECT_EQ(std::string_view(doc["environment"]["os"].get_string()), "Linux");

  // lr < 0.1 keeps a (0.01) and c (0.001); val_f1 > 0.8 keeps a (0.81) and c (0.95).
  RunResult list = In({"run", "list", "--where", "params.lr < 0.1 and metrics.val_f1 > 0.8",
                       "--sort", "-metrics.val_f1", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto rows = ParseJson(parser, list.out).get_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::string_view(rows.at(0)["id"].get_string()), c);
  EXPECT_EQ(std::string_view(rows.at(0)["status"].get_string()), "failed");
  EXPECT_EQ(std::string_view(rows.at(1)["id"].get_string()), a);

  // Text output: one line per run under a header, with the short ids; b's value is the one
  // at its highest step (0.9).
  RunResult text = In({"run", "list", "--sort", "params.lr", "--limit", "2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, c.substr(0, 12))) << text.out;
  EXPECT_TRUE(Contains(text.out, a.substr(0, 12))) << text.out;
  EXPECT_FALSE(Contains(text.out, b.substr(0, 12))) << text.out;
  RunResult only_b = In({"run", "list", "--where", "name = 'resnet-snow'", "--json"});
  auto b_rows = ParseJson(parser, only_b.out).get_array();
  ASSERT_EQ(b_rows.size(), 1u);
  EXPECT_EQ(double(b_rows.at(0)["metrics.val_f1"].get_double()), 0.9);
}

TEST_F(RunCliTest, ErrorsNameWhatIsWrong) {
  const std::string a = Start({"--param", "lr=0.01"});
  RunResult changed = In({"run", "param", a, "lr=0.02"});
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_TRUE(Contains(changed.err, "param 'lr' is already '0.01'")) << changed.err;
  std::ofstream(Tmp("bad.jsonl")) << "{\"key\": \"loss\", \"value\": 1}\n"
                                     "{\"key\": \"loss\", \"value\": \"high\"}\n";
  RunResult bad = In({"run", "log", a, "--file", Tmp("bad.jsonl")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(Contains(bad.err, "bad.jsonl:2: 'value' must be a finite number")) << bad.err;
  EXPECT_EQ(In({"run", "log", a, "--metric", "loss=nan"}).exit_code, 2);
  EXPECT_EQ(In({"run", "start", "--param", "lr"}).exit_code, 2);
  RunResult snap = In({"run", "start", "--snapshot", "beef"});
  EXPECT_EQ(snap.exit_code, 1);
  EXPECT_TRUE(Contains(snap.err, "no snapshot 'beef'")) << snap.err;
  RunResult unknown = In({"run", "show", "0123abcd"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(Contains(unknown.err, "no run '0123abcd'")) << unknown.err;
  RunResult sort = In({"run", "list", "--sort", "metrics.nope"});
  EXPECT_EQ(sort.exit_code, 1);
  EXPECT_TRUE(Contains(sort.err, "unknown column 'metrics.nope'")) << sort.err;
  EXPECT_EQ(In({"run", "end", a, "--status", "running"}).exit_code, 2);
}

TEST_F(RunCliTest, ARunWhoseProcessIsGoneIsShownFailed) {
  // A shell that has exited: its pid names no process any more.
  RunResult shell = Shell("sh -c 'echo $$'");
  ASSERT_EQ(shell.exit_code, 0);
  const std::string dead_pid = shell.out.substr(0, shell.out.size() - 1);
  const std::string a = Start({"--name", "crashed", "--pid", dead_pid});
  simdjson::dom::parser parser;
  RunResult show = In({"run", "show", a, "--json"});
  auto doc = ParseJson(parser, show.out);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "failed");
  // One that names a live process (this test) stays running, and so does one without --pid.
  const std::string b = Start({"--pid", std::to_string(::getpid())});
  show = In({"run", "show", b, "--json"});
  doc = ParseJson(parser, show.out);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "running");
  const std::string c = Start({});
  show = In({"run", "show", c, "--json"});
  doc = ParseJson(parser, show.out);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "running");
  EXPECT_EQ(int64_t(doc["pid"].get_int64()), 0);
}

TEST_F(RunCliTest, ArtifactsStoreListShowAndGet) {
  const std::string a = Start({"--name", "with-artifacts"});
  std::ofstream(Tmp("model.bin"), std::ios::binary) << "weights";
  RunResult stored = In({"run", "artifact", a, Tmp("model.bin")});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  // SHA-256 of "weights" from sha256sum.
  const std::string sha = "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c";
  EXPECT_EQ(stored.out, "model.bin  7 bytes  sha256 " + sha + "\n");
  RunResult named =
      In({"run", "artifact", a, Tmp("model.bin"), "--name", "ckpt/final.bin", "--json"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, named.out);
  EXPECT_EQ(std::string_view(doc["name"].get_string()), "ckpt/final.bin");
  EXPECT_EQ(int64_t(doc["size"].get_int64()), 7);
  EXPECT_EQ(std::string_view(doc["sha256"].get_string()), sha);

  RunResult list = In({"run", "artifacts", a.substr(0, 8), "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto rows = ParseJson(parser, list.out).get_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::string_view(rows.at(0)["name"].get_string()), "ckpt/final.bin");
  EXPECT_EQ(std::string_view(rows.at(1)["name"].get_string()), "model.bin");
  RunResult text = In({"run", "show", a});
  EXPECT_TRUE(Contains(text.out, "artifacts:\n")) << text.out;
  EXPECT_TRUE(Contains(text.out, "ckpt/final.bin")) << text.out;

  // Default destination: ./NAME in the current directory.
  RunResult got = In({"run", "get", a, "ckpt/final.bin"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(ReadFile(Tmp("ckpt/final.bin")), "weights");
  EXPECT_EQ(In({"run", "get", a, "model.bin", "-o", Tmp("out/m.bin")}).exit_code, 0);
  EXPECT_EQ(ReadFile(Tmp("out/m.bin")), "weights");

  // Other content under a taken name, an unknown artifact, a bad name.
  std::ofstream(Tmp("other.bin")) << "other";
  RunResult taken = In({"run", "artifact", a, Tmp("other.bin"), "--name", "model.bin"});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_TRUE(Contains(taken.err, "already has an artifact 'model.bin'")) << taken.err;
  RunResult none = In({"run", "get", a, "nope.bin"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(Contains(none.err, "has no artifact 'nope.bin'")) << none.err;
  EXPECT_EQ(In({"run", "artifact", a, Tmp("model.bin"), "--name", "../x"}).exit_code, 2);
  EXPECT_EQ(In({"run", "artifact", a, Tmp("missing.bin")}).exit_code, 1);
}

TEST_F(RunCliTest, GetRefusesDamagedArtifacts) {
  const std::string a = Start({});
  std::ofstream(Tmp("model.bin"), std::ios::binary) << "weights";
  ASSERT_EQ(In({"run", "artifact", a, Tmp("model.bin")}).exit_code, 0);
  // Damage the stored object behind cairn's back (objects are read-only files).
  const std::string sha = "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c";
  std::string object;
  for (const auto& e : fs::recursive_directory_iterator(dir_ + "/.cairn/objects")) {
    // Stored as blobs/<first two hex digits>/<the rest>.
    if (e.is_regular_file() && e.path().filename() == sha.substr(2)) object = e.path().string();
  }
  ASSERT_FALSE(object.empty());
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(object, std::ios::binary) << "tampered";
  RunResult got = In({"run", "get", a, "model.bin", "-o", Tmp("m.bin")});
  EXPECT_EQ(got.exit_code, 1);
  EXPECT_TRUE(Contains(got.err, "artifact 'model.bin' of run " + a)) << got.err;
  EXPECT_TRUE(Contains(got.err, "no longer matches its hash")) << got.err;
  EXPECT_FALSE(fs::exists(Tmp("m.bin")));
}

TEST_F(RunCliTest, CompareShowsRunsSideBySide) {
  const std::string a = Start({"--name", "small-lr", "--param", "lr=0.01", "--param", "batch=32"});
  const std::string b = Start(
      {"--name", "big-lr", "--param", "lr=0.1", "--param", "batch=32", "--param", "warmup=100"});
  ASSERT_EQ(In({"run", "log", a, "-m", "loss=0.5", "--step", "1"}).exit_code, 0);
  ASSERT_EQ(In({"run", "log", a, "-m", "loss=0.25", "-m", "f1=0.8", "--step", "2"}).exit_code, 0);
  ASSERT_EQ(In({"run", "log", b, "-m", "loss=0.75", "-m", "f1=0.8"}).exit_code, 0);
  ASSERT_EQ(In({"run", "end", a}).exit_code, 0);
  ASSERT_EQ(In({"run", "end", b, "--status", "failed", "--exit-code", "2"}).exit_code, 0);

  RunResult json = In({"run", "compare", a, b.substr(0, 6), "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, json.out);
  EXPECT_EQ(std::string_view(doc["runs"].at(0)["id"].get_string()), a);
  EXPECT_EQ(std::string_view(doc["runs"].at(1)["status"].get_string()), "failed");
  EXPECT_EQ(int64_t(doc["runs"].at(1)["exit_code"].get_int64()), 2);
  EXPECT_GE(double(doc["runs"].at(0)["duration_seconds"].get_double()), 0.0);
  auto params = doc["params"].get_array();
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(std::string_view(params.at(0)["key"].get_string()), "batch");
  EXPECT_FALSE(bool(params.at(0)["differs"].get_bool()));
  EXPECT_EQ(std::string_view(params.at(1)["key"].get_string()), "lr");
  EXPECT_TRUE(bool(params.at(1)["differs"].get_bool()));
  EXPECT_EQ(std::string_view(params.at(1)["values"].at(1).get_string()), "0.1");
  EXPECT_TRUE(params.at(2)["values"].at(0).is_null());
  auto metrics = doc["metrics"].get_array();
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(std::string_view(metrics.at(0)["key"].get_string()), "f1");
  EXPECT_FALSE(bool(metrics.at(0)["differs"].get_bool()));
  EXPECT_EQ(std::string_view(metrics.at(1)["key"].get_string()), "loss");
  EXPECT_EQ(double(metrics.at(1)["latest"].at(0)["value"].get_double()), 0.25);
  EXPECT_EQ(int64_t(metrics.at(1)["latest"].at(0)["step"].get_int64()), 2);
  EXPECT_EQ(double(metrics.at(1)["latest"].at(1)["value"].get_double()), 0.75);

  RunResult text = In({"run", "compare", a, b});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, a.substr(0, 12))) << text.out;
  EXPECT_TRUE(Contains(text.out, "failed (2)")) << text.out;
  EXPECT_TRUE(Contains(text.out, "\n* lr ")) << text.out;
  EXPECT_TRUE(Contains(text.out, "\n  batch ")) << text.out;
  EXPECT_TRUE(Contains(text.out, "0.25 @2")) << text.out;

  EXPECT_EQ(In({"run", "compare", a}).exit_code, 2);
  RunResult unknown = In({"run", "compare", a, "0123abcd"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(Contains(unknown.err, "no run '0123abcd'")) << unknown.err;
}

}  // namespace
}  // namespace cairn::test
