#include "store/object_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "base/file.h"
#include "base/time.h"
#include "store/s3_store.h"

namespace cairn::store {

namespace {

std::string Quote(std::string_view key) { return "'" + std::string(key) + "'"; }

// The in-memory fake: a sorted map under one mutex.
class MemoryStore final : public ObjectStore {
 public:
  Status Put(std::string_view key, std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    objects_[std::string(key)] = {std::string(data), NowMicros()};
    return Status::Ok();
  }

  Result<std::string> Get(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return Status::NotFound(uri_ + ": no object " + Quote(key));
    return it->second.data;
  }

  Result<bool> Exists(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    return objects_.count(std::string(key)) > 0;
  }

  Result<int64_t> Size(std::string_view key) override {
    CAIRN_ASSIGN_OR_RETURN(std::string data, Get(key));
    return static_cast<int64_t>(data.size());
  }

  Status Delete(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    objects_.erase(std::string(key));
    return Status::Ok();
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ObjectInfo> out;
    for (auto it = objects_.lower_bound(std::string(prefix));
         it != objects_.end() && it->first.starts_with(prefix); ++it) {
      out.push_back(
          {it->first, static_cast<int64_t>(it->second.data.size()), it->second.mtime_micros});
    }
    return out;
  }

  Status PutFile(std::string_view key, const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    CAIRN_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
    return Put(key, data);
  }

  Status GetToFile(std::string_view key, const std::string& path) override {
    CAIRN_ASSIGN_OR_RETURN(std::string data, Get(key));
    return WriteStringToFile(path, data);
  }

  const std::string& uri() const override { return uri_; }

 private:
  const std::string uri_ = "mem://";
  std::mutex mu_;
  struct Object {
    std::string data;
    int64_t mtime_micros = 0;
  };
  std::map<std::string, Object, std::less<>> objects_;
};

}  // namespace

Status ValidateKey(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("object key " + Quote(key) + ": " + std::string(why));
  };
  if (key.empty()) return bad("is empty");
  if (key.front() == '/') return bad("is absolute (starts with '/')");
  if (key.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  if (key.find('\\') != std::string_view::npos) return bad("contains a backslash");
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view segment =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty()) return bad("has an empty path segment");
    if (segment == "." || segment == "..") return bad("has a '.' or '..' path segment");
    if (segment.find(".tmp-") != std::string_view::npos) {
      return bad("contains '.tmp-', reserved for in-progress writes");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return Status::Ok();
}

std::unique_ptr<ObjectStore> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri) {
  if (uri.empty()) return Status::InvalidArgument("object store URI is empty");
  if (uri == "mem://") return NewMemoryStore();
  if (uri.starts_with("file://")) {
    std::string_view path = uri.substr(7);
    if (!path.starts_with('/')) {
      return Status::InvalidArgument("object store URI '" + std::string(uri) +
                                     "': file:// needs an absolute path (file:///dir)");
    }
    return OpenFileStore(std::string(path));
  }
  if (uri.starts_with("s3://")) {
    std::string_view rest = uri.substr(5);
    while (rest.ends_with('/')) rest.remove_suffix(1);
    size_t slash = rest.find('/');
    S3Options options = S3OptionsFromEnvironment();
    options.bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) {
      std::string_view prefix = rest.substr(slash + 1);
      if (!prefix.empty()) CAIRN_RETURN_IF_ERROR(ValidateKey(prefix));
      options.prefix = std::string(prefix);
    }
    if (options.bucket.empty()) {
      return Status::InvalidArgument("object store URI '" + std::string(uri) +
                                     "': missing bucket name (s3://bucket/prefix)");
    }
    return OpenS3Store(std::move(options));
  }
  if (uri.find("://") != std::string_view::npos) {
    return Status::InvalidArgument("object store URI '" + std::string(uri) +
                                   "': unknown scheme (expected file://, s3:// or mem://)");
  }
  return OpenFileStore(std::string(uri));
}

}  // namespace cairn::store
