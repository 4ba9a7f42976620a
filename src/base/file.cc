#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

namespace cairn {
namespace {

Status ErrnoStatus(const std::string& path, std::string_view what, int err) {
  std::string msg = path + ": " + std::string(what) + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string name, int fd, int64_t size)
      : name_(std::move(name)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  int64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }
  Status ReadAt(int64_t offset, int64_t n, char* out) const override {
    if (offset < 0 || n < 0 || offset > size_ || n > size_ - offset) {
      return Status::Corrupt(name_ + ": unexpected end of file (read of " + std::to_string(n) +
                             " bytes at offset " + std::to_string(offset) + ", file has " +
                             std::to_string(size_) + ")");
    }
    int64_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out + done, static_cast<size_t>(n - done),
                          static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(name_, "read", errno);
      }
      if (r == 0) return Status::Corrupt(name_ + ": unexpected end of file");
      done += r;
    }
    return Status::Ok();
  }

 private:
  std::string name_;
  int fd_;
  int64_t size_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string name, int fd, bool owned)
      : name_(std::move(name)), fd_(fd), owned_(owned) {}
  ~PosixSequentialFile() override {
    if (owned_) ::close(fd_);
  }
  const std::string& name() const override { return name_; }
  Result<int64_t> Read(int64_t n, char* out) override {
    for (;;) {
      ssize_t r = ::read(fd_, out, static_cast<size_t>(n));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(name_, "read", errno);
      }
      return static_cast<int64_t>(r);
    }
  }

 private:
  std::string name_;
  int fd_;
  bool owned_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string name, std::string temp, int fd, bool owned)
      : name_(std::move(name)), temp_(std::move(temp)), fd_(fd), owned_(owned) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0 && owned_) {
      ::close(fd_);
      if (!temp_.empty()) ::unlink(temp_.c_str());  // abandoned: never expose partial data
    }
  }
  const std::string& name() const override { return name_; }
  int64_t position() const override { return position_; }

  Status Append(std::string_view data) override {
    buffer_.append(data);
    position_ += static_cast<int64_t>(data.size());
    if (buffer_.size() >= kFlushBytes) return Flush();
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    CAIRN_RETURN_IF_ERROR(Flush());
    if (!owned_) {
      fd_ = -1;
      return Status::Ok();
    }
    if (::fsync(fd_) != 0 && errno != EINVAL) {
      return ErrnoStatus(name_, "fsync", errno);
    }
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus(name_, "close", errno);
    if (!temp_.empty() && ::rename(temp_.c_str(), name_.c_str()) != 0) {
      int err = errno;
      ::unlink(temp_.c_str());
      return ErrnoStatus(name_, "rename", err);
    }
    return Status::Ok();
  }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  Status Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t w = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(name_, "write", errno);
      }
      done += static_cast<size_t>(w);
    }
    buffer_.clear();
    return Status::Ok();
  }
  std::string name_;
  std::string temp_;
  int fd_;
  bool owned_;
  std::string buffer_;
  int64_t position_ = 0;
};

class MemoryRandomAccess final : public RandomAccessFile {
 public:
  MemoryRandomAccess(std::string_view data, std::string name)
      : data_(data), name_(std::move(name)) {}
  int64_t size() const override { return static_cast<int64_t>(data_.size()); }
  const std::string& name() const override { return name_; }
  Status ReadAt(int64_t offset, int64_t n, char* out) const override {
    if (offset < 0 || n < 0 || offset > size() || n > size() - offset) {
      return Status::Corrupt(name_ + ": unexpected end of file (read of " + std::to_string(n) +
                             " bytes at offset " + std::to_string(offset) + ", file has " +
                             std::to_string(size()) + ")");
    }
    std::memcpy(out, data_.data() + offset, static_cast<size_t>(n));
    return Status::Ok();
  }

 private:
  std::string_view data_;
  std::string name_;
};

class MemorySequential final : public SequentialFile {
 public:
  MemorySequential(std::string_view data, std::string name) : data_(data), name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  Result<int64_t> Read(int64_t n, char* out) override {
    size_t take = std::min(static_cast<size_t>(n), data_.size() - pos_);
    std::memcpy(out, data_.data() + pos_, take);
    pos_ += take;
    return static_cast<int64_t>(take);
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string name_;
};

class StringWritable final : public WritableFile {
 public:
  StringWritable(std::string* out, std::string name) : out_(out), name_(std::move(name)) {}
  Status Append(std::string_view data) override {
    out_->append(data);
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  int64_t position() const override { return static_cast<int64_t>(out_->size()); }
  const std::string& name() const override { return name_; }

 private:
  std::string* out_;
  std::string name_;
};

std::string TempSuffix() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ (counter.fetch_add(1) << 48) ^
               static_cast<uint64_t>(::getpid());
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccessFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(path, "stat", err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": is a directory");
  }
  return std::unique_ptr<RandomAccessFile>(
      new PosixRandomAccessFile(path, fd, static_cast<int64_t>(st.st_size)));
}

Result<std::unique_ptr<SequentialFile>> OpenSequentialFile(const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile("<stdin>", 0, false));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": is a directory");
  }
  return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd, true));
}

Result<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& path, bool atomic) {
  if (path == "-") {
    return std::unique_ptr<WritableFile>(new PosixWritableFile("<stdout>", "", 1, false));
  }
  std::string target = atomic ? path + ".tmp-" + TempSuffix() : path;
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(path, "cannot create", errno);
  return std::unique_ptr<WritableFile>(
      new PosixWritableFile(path, atomic ? target : std::string(), fd, true));
}

std::unique_ptr<RandomAccessFile> MemoryRandomAccessFile(std::string_view data, std::string name) {
  return std::make_unique<MemoryRandomAccess>(data, std::move(name));
}

std::unique_ptr<SequentialFile> MemorySequentialFile(std::string_view data, std::string name) {
  return std::make_unique<MemorySequential>(data, std::move(name));
}

std::unique_ptr<WritableFile> StringWritableFile(std::string* out, std::string name) {
  return std::make_unique<StringWritable>(out, std::move(name));
}

Result<std::string> ReadFileToString(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenRandomAccessFile(path));
  std::string data(static_cast<size_t>(file->size()), '\0');
  CAIRN_RETURN_IF_ERROR(file->ReadAt(0, file->size(), data.data()));
  return data;
}

Status WriteStringToFile(const std::string& path, std::string_view data) {
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenWritableFile(path, true));
  CAIRN_RETURN_IF_ERROR(file->Append(data));
  return file->Close();
}

}  // namespace cairn
