#include "data/workspace.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

namespace cairn::data {

namespace fs = std::filesystem;

namespace {

std::string EnvOr(const std::string& given, const char* var) {
  if (!given.empty()) return given;
  const char* v = std::getenv(var);
  return v == nullptr ? std::string() : std::string(v);
}

// The nearest directory at or above the current one that contains .cairn/, or empty.
std::string FindRoot() {
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  if (ec) return {};
  for (;;) {
    if (fs::is_directory(dir / kWorkspaceDir, ec)) return dir.string();
    fs::path parent = dir.parent_path();
    if (parent == dir) return {};
    dir = parent;
  }
}

}  // namespace

Result<std::unique_ptr<Workspace>> Workspace::OpenAt(const std::string& root,
                                                     const WorkspaceOptions& options) {
  // The constructor is private, so make_unique cannot reach it.
  auto ws = std::unique_ptr<Workspace>(new Workspace());  // NOLINT(modernize-make-unique)
  ws->root_ = root;
  ws->catalog_uri_ = EnvOr(options.catalog_uri, "CAIRN_CATALOG");
  ws->store_uri_ = EnvOr(options.store_uri, "CAIRN_STORE");
  const fs::path meta = fs::path(root) / kWorkspaceDir;
  if (ws->catalog_uri_.empty()) ws->catalog_uri_ = (meta / "catalog.db").string();
  if (ws->store_uri_.empty()) ws->store_uri_ = (meta / "objects").string();
  CAIRN_ASSIGN_OR_RETURN(ws->catalog_, catalog::OpenCatalog(ws->catalog_uri_));
  CAIRN_ASSIGN_OR_RETURN(ws->objects_, store::OpenObjectStore(ws->store_uri_));
  ws->blobs_ = std::make_unique<store::BlobStore>(ws->objects_.get(), options.blob_options);
  return ws;
}

Result<std::unique_ptr<Workspace>> Workspace::Init(const std::string& dir,
                                                   const WorkspaceOptions& options) {
  std::error_code ec;
  const fs::path root = fs::absolute(dir.empty() ? fs::path(".") : fs::path(dir), ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  fs::create_directories(root / kWorkspaceDir, ec);
  if (ec) return Status::IOError((root / kWorkspaceDir).string() + ": " + ec.message());
  return OpenAt(root.lexically_normal().string(), options);
}

Result<std::unique_ptr<Workspace>> Workspace::Open(const WorkspaceOptions& options) {
  std::string root = EnvOr(options.home, "CAIRN_HOME");
  if (!root.empty()) {
    std::error_code ec;
    if (!fs::is_directory(fs::path(root) / kWorkspaceDir, ec)) {
      return Status::NotFound(root + " is not a cairn workspace (no " + std::string(kWorkspaceDir) +
                              " directory); run `cairn init " + root + "`");
    }
    return OpenAt(root, options);
  }
  root = FindRoot();
  if (root.empty()) {
    const bool external = !EnvOr(options.catalog_uri, "CAIRN_CATALOG").empty() &&
                          !EnvOr(options.store_uri, "CAIRN_STORE").empty();
    if (!external) {
      return Status::NotFound(
          "not in a cairn workspace (no .cairn directory here or above); run `cairn init` "
          "or set CAIRN_HOME");
    }
  }
  return OpenAt(root, options);
}

}  // namespace cairn::data
