// The S3 object store: ListObjectsV2, PUT (single or multipart), GET, HEAD and DELETE over
// libcurl, signed with libcurl's AWS Signature V4.

#include "store/s3_store.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "base/file.h"
#include "base/hash.h"
#include "base/time.h"

namespace cairn::store {

namespace {

constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Percent-encodes everything but RFC 3986 unreserved characters (and '/' when `keep_slash`),
// as SigV4's canonical request expects.
std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      u == '-' || u == '_' || u == '.' || u == '~';
    if (unreserved || (keep_slash && u == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// Query parameters, kept sorted by name as SigV4's canonical query string requires.
using Query = std::map<std::string, std::string>;

std::string EncodeQuery(const Query& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out.push_back('&');
    out += UriEncode(name, false) + "=" + UriEncode(value, false);
  }
  return out;
}

// Decodes the five predefined XML entities and numeric character references.
Result<std::string> DecodeXmlText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) return Status::Corrupt("XML: unterminated entity");
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() >= 2 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 8) {
        return Status::Corrupt("XML: bad character reference '&" + std::string(entity) + ";'");
      }
      uint32_t cp = 0;
      for (char d : digits) {
        int v = -1;
        if (d >= '0' && d <= '9') v = d - '0';
        if (hex && d >= 'a' && d <= 'f') v = d - 'a' + 10;
        if (hex && d >= 'A' && d <= 'F') v = d - 'A' + 10;
        if (v < 0) {
          return Status::Corrupt("XML: bad character reference '&" + std::string(entity) + ";'");
        }
        cp = cp * (hex ? 16U : 10U) + static_cast<uint32_t>(v);
      }
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return Status::Corrupt("XML: character reference out of range '&" + std::string(entity) +
                               ";'");
      }
      // UTF-8 encode.
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      return Status::Corrupt("XML: unknown entity '&" + std::string(entity) + ";'");
    }
    i = semi;
  }
  return out;
}

// Finds the next <tag>...</tag> element at or after `*pos` in `xml`; sets `*inner` to its raw
// content and moves `*pos` past the closing tag. Returns false when there is none. A
// self-closing <tag/> yields empty content. Attributes on the opening tag are allowed.
Result<bool> NextElement(std::string_view xml, std::string_view tag, size_t* pos,
                         std::string_view* inner) {
  size_t at = *pos;
  while (true) {
    size_t open = xml.find("<" + std::string(tag), at);
    if (open == std::string_view::npos) return false;
    size_t name_end = open + 1 + tag.size();
    if (name_end >= xml.size()) return Status::Corrupt("XML: truncated <" + std::string(tag));
    char next = xml[name_end];
    if (next != '>' && next != ' ' && next != '/' && next != '\t' && next != '\n' && next != '\r') {
      at = name_end;  // a longer tag name with this prefix (<KeyCount> for <Key>)
      continue;
    }
    size_t gt = xml.find('>', name_end);
    if (gt == std::string_view::npos)
      return Status::Corrupt("XML: unterminated <" + std::string(tag));
    if (xml[gt - 1] == '/') {
      *inner = {};
      *pos = gt + 1;
      return true;
    }
    std::string close = "</" + std::string(tag) + ">";
    size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) {
      return Status::Corrupt("XML: <" + std::string(tag) + "> is not closed");
    }
    *inner = xml.substr(gt + 1, end - gt - 1);
    *pos = end + close.size();
    return true;
  }
}

// The decoded text of the first <tag> in `xml`, or nullopt-like empty with found=false.
Result<bool> FirstElementText(std::string_view xml, std::string_view tag, std::string* out) {
  size_t pos = 0;
  std::string_view inner;
  CAIRN_ASSIGN_OR_RETURN(bool found, NextElement(xml, tag, &pos, &inner));
  if (!found) return false;
  CAIRN_ASSIGN_OR_RETURN(*out, DecodeXmlText(inner));
  return true;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Where a request body comes from: bytes in memory or a range of a local file.
struct Body {
  std::string_view data;
  const RandomAccessFile* file = nullptr;
  int64_t offset = 0;
  int64_t length = 0;  // for a file range
  int64_t sent = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* body = static_cast<Body*>(user);
  int64_t want = static_cast<int64_t>(size * nitems);
  int64_t total = body->file != nullptr ? body->length : static_cast<int64_t>(body->data.size());
  int64_t n = std::min(want, total - body->sent);
  if (n <= 0) return 0;
  if (body->file != nullptr) {
    if (!body->file->ReadAt(body->offset + body->sent, n, buffer).ok()) return CURL_READFUNC_ABORT;
  } else {
    std::memcpy(buffer, body->data.data() + body->sent, static_cast<size_t>(n));
  }
  body->sent += n;
  return static_cast<size_t>(n);
}

// Where a response body goes: a string, or (for a 2xx answer to GetToFile) a local file.
struct Sink {
  CURL* curl = nullptr;
  std::string text;
  WritableFile* file = nullptr;
  Status file_status;
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * nmemb;
  long code = 0;
  curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &code);
  if (sink->file != nullptr && code >= 200 && code < 300) {
    sink->file_status = sink->file->Append(std::string_view(data, n));
    return sink->file_status.ok() ? n : 0;
  }
  sink->text.append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t nitems, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  size_t n = size * nitems;
  std::string_view line(data, n);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    (*headers)[name] = std::string(value);
  }
  return n;
}

struct Response {
  long status = 0;
  std::string body;                            // the body unless it went to a file
  std::map<std::string, std::string> headers;  // lower-case names
};

struct Request {
  const char* method = "GET";
  std::string key;  // full bucket key; "" for the bucket itself
  Query query;
  Body body;
  bool has_body = false;
  bool head = false;
  std::string content_type;
  // For GetToFile: the local path that receives a 2xx body.
  const std::string* download_path = nullptr;
};

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};

class S3Store final : public ObjectStore {
 public:
  explicit S3Store(S3Options options) : options_(std::move(options)) {
    uri_ = "s3://" + options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix);
    if (options_.endpoint.empty()) {
      base_url_ = "https://" + options_.bucket + ".s3." + options_.region + ".amazonaws.com/";
    } else {
      std::string endpoint = options_.endpoint;
      while (endpoint.ends_with('/')) endpoint.pop_back();
      base_url_ = endpoint + "/" + UriEncode(options_.bucket, false) + "/";
    }
    sigv4_ = "aws:amz:" + options_.region + ":s3";
    userpwd_ = options_.access_key_id + ":" + options_.secret_access_key;
  }

  Status Put(std::string_view key, std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    Request req;
    req.method = "PUT";
    req.key = FullKey(key);
    req.body.data = data;
    req.has_body = true;
    CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
    return CheckOk(req, resp);
  }

  Result<std::string> Get(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    Request req;
    req.key = FullKey(key);
    CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
    CAIRN_RETURN_IF_ERROR(CheckOk(req, resp));
    return std::move(resp.body);
  }

  Result<bool> Exists(std::string_view key) override {
    auto size = Size(key);
    if (size.ok()) return true;
    if (size.status().code() == StatusCode::kNotFound) return false;
    return size.status();
  }

  Result<int64_t> Size(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    Request req;
    req.method = "HEAD";
    req.head = true;
    req.key = FullKey(key);
    CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
    CAIRN_RETURN_IF_ERROR(CheckOk(req, resp));
    auto it = resp.headers.find("content-length");
    if (it == resp.headers.end()) {
      return Status::IOError(Where(req) + ": HEAD answer has no Content-Length");
    }
    char* end = nullptr;
    long long size = std::strtoll(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || size < 0) {
      return Status::IOError(Where(req) + ": bad Content-Length '" + it->second + "'");
    }
    return static_cast<int64_t>(size);
  }

  Status Delete(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    Request req;
    req.method = "DELETE";
    req.key = FullKey(key);
    CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
    if (resp.status == 404) return Status::Ok();
    return CheckOk(req, resp);
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    std::string full_prefix =
        options_.prefix.empty() ? std::string(prefix) : options_.prefix + "/" + std::string(prefix);
    std::vector<ObjectInfo> out;
    std::string token;
    while (true) {
      Request req;
      req.query["list-type"] = "2";
      req.query["prefix"] = full_prefix;
      if (!token.empty()) req.query["continuation-token"] = token;
      CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
      CAIRN_RETURN_IF_ERROR(CheckOk(req, resp));
      auto page = ParseListObjectsV2(resp.body);
      if (!page.ok()) return page.status().WithPrefix(Where(req) + ": ListObjectsV2");
      size_t strip = options_.prefix.empty() ? 0 : options_.prefix.size() + 1;
      for (auto& object : page->objects) {
        if (object.key.size() < strip || !object.key.starts_with(full_prefix)) continue;
        object.key.erase(0, strip);
        out.push_back(std::move(object));
      }
      if (!page->is_truncated) break;
      if (page->next_continuation_token.empty() || page->next_continuation_token == token) {
        return Status::IOError(Where(req) + ": truncated listing without a new continuation token");
      }
      token = page->next_continuation_token;
    }
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status PutFile(std::string_view key, const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    CAIRN_ASSIGN_OR_RETURN(auto file, OpenRandomAccessFile(path));
    if (file->size() > options_.multipart_threshold) return PutMultipart(key, *file);
    Request req;
    req.method = "PUT";
    req.key = FullKey(key);
    req.body.file = file.get();
    req.body.length = file->size();
    req.has_body = true;
    CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
    return CheckOk(req, resp);
  }

  Status GetToFile(std::string_view key, const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(ValidateKey(key));
    Request req;
    req.key = FullKey(key);
    req.download_path = &path;
    CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
    return CheckOk(req, resp);
  }

  const std::string& uri() const override { return uri_; }

 private:
  std::string FullKey(std::string_view key) const {
    return options_.prefix.empty() ? std::string(key) : options_.prefix + "/" + std::string(key);
  }

  std::string Where(const Request& req) const {
    return std::string(req.method) + " s3://" + options_.bucket + "/" + req.key;
  }

  // Maps a non-2xx answer to a Status carrying the HTTP status and the S3 error.
  Status CheckOk(const Request& req, const Response& resp) const {
    if (resp.status >= 200 && resp.status < 300) return Status::Ok();
    std::string message = Where(req) + ": HTTP " + std::to_string(resp.status);
    std::string s3_error = ParseS3Error(resp.body);
    if (!s3_error.empty()) message += ": " + s3_error;
    if (resp.status == 404) return Status::NotFound(message);
    if (resp.status == 400) return Status::InvalidArgument(message);
    return Status::IOError(message);
  }

  // Sends one request, retrying connection errors and 5xx answers with exponential backoff.
  Result<Response> Send(Request& req) {
    int64_t backoff_ms = options_.initial_backoff_ms;
    for (int attempt = 1;; ++attempt) {
      std::string curl_error;
      auto resp = SendOnce(req, &curl_error);
      bool retry = !resp.ok() ? resp.status().code() == StatusCode::kIOError && !curl_error.empty()
                              : resp->status >= 500;
      if (!retry || attempt >= options_.max_attempts) {
        if (!resp.ok()) return resp.status();
        return resp;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms *= 2;
    }
  }

  // One attempt. `*curl_error` is set when the transport failed (worth retrying).
  Result<Response> SendOnce(Request& req, std::string* curl_error) {
    InitCurlOnce();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return Status::Internal("curl_easy_init failed");
    CURL* c = curl.get();

    std::string url = base_url_ + UriEncode(req.key, true);
    std::string query = EncodeQuery(req.query);
    if (!query.empty()) url += "?" + query;

    // The payload hash header: S3 requires it, libcurl's SigV4 does not add it.
    std::string payload_hash;
    if (req.has_body && req.body.file == nullptr) {
      payload_hash = Sha256Hex(req.body.data);
    } else if (req.has_body) {
      payload_hash = std::string(kUnsignedPayload);
    } else {
      payload_hash = Sha256Hex("");
    }
    curl_slist* raw_headers = nullptr;
    auto add_header = [&](const std::string& h) {
      raw_headers = curl_slist_append(raw_headers, h.c_str());
    };
    add_header("x-amz-content-sha256: " + payload_hash);
    add_header("Expect:");
    if (!req.content_type.empty()) add_header("Content-Type: " + req.content_type);
    std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);

    Response resp;
    Sink sink;
    sink.curl = c;
    std::unique_ptr<WritableFile> download;
    if (req.download_path != nullptr) {
      CAIRN_ASSIGN_OR_RETURN(download, OpenWritableFile(*req.download_path, /*atomic=*/true));
      sink.file = download.get();
    }
    req.body.sent = 0;

    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd_.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
    if (req.head) {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (std::strcmp(req.method, "PUT") == 0) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
      curl_easy_setopt(c, CURLOPT_READDATA, &req.body);
      curl_off_t size = req.body.file != nullptr ? req.body.length
                                                 : static_cast<curl_off_t>(req.body.data.size());
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
    } else if (std::strcmp(req.method, "POST") == 0) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data.empty() ? "" : req.body.data.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.body.data.size()));
    } else if (std::strcmp(req.method, "GET") != 0) {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method);
    }

    CURLcode rc = curl_easy_perform(c);
    if (!sink.file_status.ok()) return sink.file_status;
    if (rc != CURLE_OK) {
      *curl_error = curl_easy_strerror(rc);
      return Status::IOError(Where(req) + ": " + *curl_error);
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    resp.body = std::move(sink.text);
    if (download != nullptr && resp.status >= 200 && resp.status < 300) {
      CAIRN_RETURN_IF_ERROR(download->Close());
    }
    return resp;
  }

  Status PutMultipart(std::string_view key, const RandomAccessFile& file) {
    std::string full_key = FullKey(key);
    Request start;
    start.method = "POST";
    start.key = full_key;
    start.query["uploads"] = "";
    start.has_body = true;
    CAIRN_ASSIGN_OR_RETURN(Response started, Send(start));
    CAIRN_RETURN_IF_ERROR(CheckOk(start, started));
    std::string upload_id;
    CAIRN_ASSIGN_OR_RETURN(bool found, FirstElementText(started.body, "UploadId", &upload_id));
    if (!found || upload_id.empty()) {
      return Status::IOError(Where(start) + ": multipart upload answer has no UploadId");
    }
    Status status = UploadParts(full_key, upload_id, file);
    if (!status.ok()) {
      // Best effort: the server drops the parts; a failure here changes nothing for the caller.
      Request abort;
      abort.method = "DELETE";
      abort.key = full_key;
      abort.query["uploadId"] = upload_id;
      (void)Send(abort);
    }
    return status;
  }

  Status UploadParts(const std::string& full_key, const std::string& upload_id,
                     const RandomAccessFile& file) {
    int64_t part_size = std::max<int64_t>(options_.part_size, 5 << 20);
    std::string complete = "<CompleteMultipartUpload>";
    int part = 1;
    for (int64_t offset = 0; offset < file.size(); offset += part_size, ++part) {
      Request req;
      req.method = "PUT";
      req.key = full_key;
      req.query["partNumber"] = std::to_string(part);
      req.query["uploadId"] = upload_id;
      req.body.file = &file;
      req.body.offset = offset;
      req.body.length = std::min(part_size, file.size() - offset);
      req.has_body = true;
      CAIRN_ASSIGN_OR_RETURN(Response resp, Send(req));
      CAIRN_RETURN_IF_ERROR(CheckOk(req, resp));
      auto etag = resp.headers.find("etag");
      if (etag == resp.headers.end()) {
        return Status::IOError(Where(req) + ": part " + std::to_string(part) + " has no ETag");
      }
      complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" +
                  etag->second + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    Request finish;
    finish.method = "POST";
    finish.key = full_key;
    finish.query["uploadId"] = upload_id;
    finish.body.data = complete;
    finish.has_body = true;
    finish.content_type = "application/xml";
    CAIRN_ASSIGN_OR_RETURN(Response resp, Send(finish));
    CAIRN_RETURN_IF_ERROR(CheckOk(finish, resp));
    // S3 may answer 200 and still report an error in the body.
    if (resp.body.find("<Error>") != std::string::npos) {
      return Status::IOError(Where(finish) + ": " + ParseS3Error(resp.body));
    }
    return Status::Ok();
  }

  S3Options options_;
  std::string uri_;
  std::string base_url_;
  std::string sigv4_;
  std::string userpwd_;
};

}  // namespace

S3Options S3OptionsFromEnvironment() {
  S3Options options;
  options.endpoint = GetEnv("AWS_ENDPOINT_URL");
  if (options.endpoint.empty()) options.endpoint = GetEnv("CAIRN_S3_ENDPOINT");
  std::string region = GetEnv("AWS_REGION");
  if (region.empty()) region = GetEnv("AWS_DEFAULT_REGION");
  if (!region.empty()) options.region = region;
  options.access_key_id = GetEnv("AWS_ACCESS_KEY_ID");
  options.secret_access_key = GetEnv("AWS_SECRET_ACCESS_KEY");
  return options;
}

Result<std::unique_ptr<ObjectStore>> OpenS3Store(S3Options options) {
  if (options.bucket.empty()) return Status::InvalidArgument("s3 store: empty bucket name");
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return Status::InvalidArgument("s3://" + options.bucket +
                                   ": no credentials (set AWS_ACCESS_KEY_ID and "
                                   "AWS_SECRET_ACCESS_KEY)");
  }
  if (options.max_attempts < 1) options.max_attempts = 1;
  return std::unique_ptr<ObjectStore>(std::make_unique<S3Store>(std::move(options)));
}

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return Status::Corrupt("not a ListBucketResult document");
  }
  S3ListPage page;
  size_t pos = 0;
  std::string_view contents;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool found, NextElement(xml, "Contents", &pos, &contents));
    if (!found) break;
    ObjectInfo info;
    CAIRN_ASSIGN_OR_RETURN(bool has_key, FirstElementText(contents, "Key", &info.key));
    std::string size_text;
    CAIRN_ASSIGN_OR_RETURN(bool has_size, FirstElementText(contents, "Size", &size_text));
    if (!has_key || info.key.empty()) return Status::Corrupt("<Contents> without a <Key>");
    if (!has_size || size_text.empty() || size_text.size() > 18 ||
        !std::all_of(size_text.begin(), size_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return Status::Corrupt("<Contents> for '" + info.key + "': bad <Size> '" + size_text + "'");
    }
    info.size = std::stoll(size_text);
    std::string modified;
    CAIRN_ASSIGN_OR_RETURN(bool has_modified,
                           FirstElementText(contents, "LastModified", &modified));
    if (has_modified) {
      auto micros = ParseTimestampMicros(modified);
      if (!micros) {
        return Status::Corrupt("<Contents> for '" + info.key + "': bad <LastModified> '" +
                               modified + "'");
      }
      info.mtime_micros = *micros;
    }
    page.objects.push_back(std::move(info));
  }
  // Only look for the flags outside <Contents> elements: strip them first.
  std::string outer;
  size_t last = 0;
  pos = 0;
  while (true) {
    size_t before = xml.find("<Contents", pos);
    CAIRN_ASSIGN_OR_RETURN(bool found, NextElement(xml, "Contents", &pos, &contents));
    if (!found) break;
    outer.append(xml.substr(last, before - last));
    last = pos;
  }
  outer.append(xml.substr(last));
  std::string truncated;
  CAIRN_ASSIGN_OR_RETURN(bool has_truncated, FirstElementText(outer, "IsTruncated", &truncated));
  if (has_truncated && truncated != "true" && truncated != "false") {
    return Status::Corrupt("bad <IsTruncated> '" + truncated + "'");
  }
  page.is_truncated = has_truncated && truncated == "true";
  CAIRN_ASSIGN_OR_RETURN(bool has_token, FirstElementText(outer, "NextContinuationToken",
                                                          &page.next_continuation_token));
  if (page.is_truncated && !has_token) {
    return Status::Corrupt("<IsTruncated> is true but there is no <NextContinuationToken>");
  }
  if (page.is_truncated && page.next_continuation_token.empty()) {
    return Status::Corrupt("<IsTruncated> is true but <NextContinuationToken> is empty");
  }
  return page;
}

std::string ParseS3Error(std::string_view xml) {
  std::string code;
  std::string message;
  auto has_code = FirstElementText(xml, "Code", &code);
  auto has_message = FirstElementText(xml, "Message", &message);
  bool code_found = has_code.ok() && *has_code;
  bool message_found = has_message.ok() && *has_message;
  if (code_found && message_found) return code + ": " + message;
  if (code_found) return code;
  if (message_found) return message;
  return "";
}

}  // namespace cairn::store
