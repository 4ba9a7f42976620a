#pragma once

// A fresh workspace per test, on the backends the environment names:
//   CAIRN_TEST_POSTGRES=postgresql://...  a new database per test on that server (else SQLite)
//   CAIRN_TEST_S3_BUCKET=bucket            a new prefix per test in that bucket, with the AWS_*
//                                          variables tests/s3/with_s3rver.js sets (else a
//                                          directory)
// so the same tests run on every combination (see src/data/CMakeLists.txt).

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "base/hash.h"
#include "base/time.h"
#include "catalog/catalog.h"
#include "data/workspace.h"

namespace cairn::data::testing {

class TestWorkspace {
 public:
  /// Creates the workspace; check ok() (or use ASSERT_TRUE on status()).
  TestWorkspace() {
    static std::atomic<int> counter{0};
    const std::string unique = std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
                               std::to_string(NowMicros() % 1000000);
    dir_ = (std::filesystem::temp_directory_path() / ("cairn_data_test_" + unique)).string();
    std::filesystem::create_directories(dir_);
    if (const char* pg = std::getenv("CAIRN_TEST_POSTGRES"); pg != nullptr && *pg != '\0') {
      admin_uri_ = pg;
      auto admin = catalog::Connect(admin_uri_);
      if (!admin.ok()) {
        status_ = admin.status();
        return;
      }
      database_ = "cairn_data_" + unique;
      status_ = (*admin)->Execute("CREATE DATABASE " + database_).status();
      if (!status_.ok()) return;
      const size_t query = admin_uri_.find('?');
      const std::string base = admin_uri_.substr(0, query);
      options_.catalog_uri = base.substr(0, base.rfind('/') + 1) + database_ +
                             (query == std::string::npos ? "" : admin_uri_.substr(query));
    }
    if (const char* bucket = std::getenv("CAIRN_TEST_S3_BUCKET");
        bucket != nullptr && *bucket != '\0') {
      options_.store_uri = "s3://" + std::string(bucket) + "/test_" + unique;
    }
    Reopen();
  }
  ~TestWorkspace() {
    ws_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (!database_.empty()) {
      auto admin = catalog::Connect(admin_uri_);
      if (admin.ok()) (void)(*admin)->Execute("DROP DATABASE " + database_ + " WITH (FORCE)");
    }
  }
  TestWorkspace(const TestWorkspace&) = delete;
  TestWorkspace& operator=(const TestWorkspace&) = delete;

  const Status& status() const { return status_; }
  Workspace& ws() { return *ws_; }
  const std::string& dir() const { return dir_; }
  WorkspaceOptions& options() { return options_; }
  /// Another connection to the same workspace (for concurrent writers).
  Result<std::unique_ptr<Workspace>> OpenAnother() {
    WorkspaceOptions o = options_;
    o.home = dir_;
    return Workspace::Open(o);
  }
  /// Reopens with options() (after changing blob options, say).
  void Reopen() {
    ws_.reset();
    auto ws = Workspace::Init(dir_, options_);
    if (!ws.ok()) {
      status_ = ws.status();
      return;
    }
    ws_ = std::move(*ws);
  }

 private:
  Status status_;
  std::string dir_;
  std::string admin_uri_;
  std::string database_;
  WorkspaceOptions options_;
  std::unique_ptr<Workspace> ws_;
};

}  // namespace cairn::data::testing
