// The local-directory object store: one file per object under a root directory.

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "base/file.h"
#include "store/object_store.h"

namespace cairn::store {

namespace {

namespace fs = std::filesystem;

constexpr size_t kCopyChunk = size_t{1} << 20;

// Streams `in` into `out` in chunks, then closes `out` (which makes it visible).
Status CopyStream(SequentialFile& in, WritableFile& out) {
  std::string buffer(kCopyChunk, '\0');
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n, in.Read(static_cast<int64_t>(buffer.size()), buffer.data()));
    if (n == 0) break;
    CAIRN_RETURN_IF_ERROR(out.Append(std::string_view(buffer.data(), static_cast<size_t>(n))));
  }
  return out.Close();
}

// Whether a file name is one of OpenWritableFile's in-progress temp files.
bool IsTempName(std::string_view name) { return name.find(".tmp-") != std::string_view::npos; }

class FileStore final : public ObjectStore {
 public:
  explicit FileStore(std::string root) : root_(std::move(root)), uri_("file://" + root_) {}

  Status Put(std::string_view key, std::string_view data) override {
    CAIRN_ASSIGN_OR_RETURN(std::string path, PrepareWrite(key));
    return WriteStringToFile(path, data);
  }

  Result<std::string> Get(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    return ReadFileToString(PathOf(key));
  }

  Result<bool> Exists(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    struct stat st {};
    std::string path = PathOf(key);
    if (::stat(path.c_str(), &st) == 0) return S_ISREG(st.st_mode);
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return Status::IOError(path + ": cannot stat: " + std::strerror(errno));
  }

  Result<int64_t> Size(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    struct stat st {};
    std::string path = PathOf(key);
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISREG(st.st_mode)) return static_cast<int64_t>(st.st_size);
      return Status::NotFound(path + ": no such object");
    }
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(path + ": no such object");
    return Status::IOError(path + ": cannot stat: " + std::strerror(errno));
  }

  Status Delete(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    std::string path = PathOf(key);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
      return Status::IOError(path + ": cannot delete: " + std::strerror(errno));
    }
    return Status::Ok();
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    std::vector<ObjectInfo> out;
    std::error_code ec;
    // Walk only the deepest directory the prefix names completely.
    std::string_view dir_part = prefix.substr(0, prefix.rfind('/') + 1);
    if (prefix.rfind('/') == std::string_view::npos) dir_part = {};
    fs::path start = fs::path(root_) / std::string(dir_part);
    if (!fs::is_directory(start, ec)) return out;
    fs::recursive_directory_iterator it(start, ec);
    if (ec) return Status::IOError(start.string() + ": cannot list: " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return Status::IOError(start.string() + ": cannot list: " + ec.message());
      if (!it->is_regular_file(ec)) continue;
      std::string rel = it->path().lexically_relative(root_).generic_string();
      if (!rel.starts_with(prefix) || IsTempName(it->path().filename().native())) continue;
      struct stat st {};
      if (::stat(it->path().c_str(), &st) != 0) continue;  // removed while listing
      int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000 + st.st_mtim.tv_nsec / 1000;
      out.push_back({std::move(rel), static_cast<int64_t>(st.st_size), mtime});
    }
    if (ec) return Status::IOError(start.string() + ": cannot list: " + ec.message());
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status PutFile(std::string_view key, const std::string& path) override {
    CAIRN_ASSIGN_OR_RETURN(std::string target, PrepareWrite(key));
    CAIRN_ASSIGN_OR_RETURN(auto in, OpenSequentialFile(path));
    CAIRN_ASSIGN_OR_RETURN(auto out, OpenWritableFile(target, /*atomic=*/true));
    return CopyStream(*in, *out);
  }

  Status GetToFile(std::string_view key, const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    CAIRN_ASSIGN_OR_RETURN(auto in, OpenSequentialFile(PathOf(key)));
    CAIRN_ASSIGN_OR_RETURN(auto out, OpenWritableFile(path, /*atomic=*/true));
    return CopyStream(*in, *out);
  }

  const std::string& uri() const override { return uri_; }

  Result<int64_t> RemoveStaleTemporaries(int64_t older_than_micros) override {
    std::error_code ec;
    int64_t bytes = 0;
    fs::recursive_directory_iterator it(root_, ec);
    if (ec) return Status::IOError(root_ + ": cannot list: " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return Status::IOError(root_ + ": cannot list: " + ec.message());
      if (!IsTempName(it->path().filename().native()) || !it->is_regular_file(ec)) continue;
      struct stat st {};
      if (::stat(it->path().c_str(), &st) != 0) continue;  // finished or removed meanwhile
      const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000 + st.st_mtim.tv_nsec / 1000;
      if (mtime >= older_than_micros) continue;
      if (::unlink(it->path().c_str()) != 0 && errno != ENOENT) {
        return Status::IOError(it->path().string() + ": cannot remove: " + std::strerror(errno));
      }
      bytes += static_cast<int64_t>(st.st_size);
    }
    if (ec) return Status::IOError(root_ + ": cannot list: " + ec.message());
    return bytes;
  }

 private:
  std::string PathOf(std::string_view key) const { return root_ + "/" + std::string(key); }

  // Validates the key and creates the object's parent directories; returns its path.
  Result<std::string> PrepareWrite(std::string_view key) {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    std::string path = PathOf(key);
    fs::path parent = fs::path(path).parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) return Status::IOError(parent.string() + ": cannot create directory: " + ec.message());
    return path;
  }

  const std::string root_;
  const std::string uri_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenFileStore(const std::string& root) {
  if (root.empty()) return Status::InvalidArgument("file store: empty root directory");
  std::error_code ec;
  fs::path abs = fs::absolute(root, ec);
  if (ec) return Status::IOError(root + ": cannot resolve: " + ec.message());
  std::string normalized = abs.lexically_normal().generic_string();
  while (normalized.size() > 1 && normalized.ends_with('/')) normalized.pop_back();
  fs::create_directories(normalized, ec);
  if (ec) return Status::IOError(normalized + ": cannot create directory: " + ec.message());
  if (!fs::is_directory(normalized, ec)) {
    return Status::InvalidArgument(normalized + ": not a directory");
  }
  return std::unique_ptr<ObjectStore>(std::make_unique<FileStore>(std::move(normalized)));
}

}  // namespace cairn::store
