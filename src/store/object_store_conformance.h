#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "store/object_store.h"

namespace cairn::store {

/// How a conformance run gets a fresh, empty store, and where it may put local files.
struct StoreFactory {
  std::string name;
  /// A new store with no objects in it; each call gives an independent namespace.
  std::function<std::unique_ptr<ObjectStore>()> make;
  /// Whether a reader racing an overwrite must see the old or the new object whole. True for
  /// our stores and for S3; false for test servers that expose objects while writing them.
  bool atomic_overwrite = true;
};

/// Names the factory in test output.
inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

/// The behaviour every ObjectStore must have (object_store_conformance.cc). Instantiate with
/// INSTANTIATE_TEST_SUITE_P(Name, ObjectStoreConformance, testing::Values(factory...)).
class ObjectStoreConformance : public testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  /// A path in a private local scratch directory.
  std::string LocalPath(const std::string& name) const;

  std::unique_ptr<ObjectStore> store_;
  std::string scratch_;
};

/// Makes a fresh directory under the test temp dir and returns its normalized path.
inline std::string MakeTempDir() {
  std::string pattern =
      (std::filesystem::path(testing::TempDir()) / "cairn-store-XXXXXX").lexically_normal();
  char* dir = ::mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

/// Removes a directory tree (best effort).
inline void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace cairn::store
