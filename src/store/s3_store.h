#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/object_store.h"

namespace cairn::store {

/// Where and how to reach an S3-protocol server.
struct S3Options {
  std::string bucket;
  /// Key prefix inside the bucket, without leading or trailing '/'; "" for the whole bucket.
  std::string prefix;
  /// "http://127.0.0.1:9000"; empty means AWS ("https://<bucket>.s3.<region>.amazonaws.com",
  /// virtual-hosted addressing). With an endpoint, requests use path-style addressing.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  /// PutFile uploads files larger than this with a multipart upload of parts of this size.
  int64_t multipart_threshold = int64_t{64} << 20;
  int64_t part_size = int64_t{16} << 20;
  /// Attempts per request on connection errors and 5xx answers (with exponential backoff).
  int max_attempts = 4;
  int64_t initial_backoff_ms = 100;
};

/// Fills S3Options from the environment: AWS_ENDPOINT_URL (or CAIRN_S3_ENDPOINT),
/// AWS_REGION / AWS_DEFAULT_REGION (default us-east-1), AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY. Bucket and prefix are left empty.
S3Options S3OptionsFromEnvironment();

/// A store over an S3 bucket, spoken with libcurl and signed with AWS Signature V4.
/// Thread-safe (each request uses its own curl handle). kInvalidArgument if the bucket is
/// empty or credentials are missing.
Result<std::unique_ptr<ObjectStore>> OpenS3Store(S3Options options);

/// One page of a ListObjectsV2 answer.
struct S3ListPage {
  std::vector<ObjectInfo> objects;  // keys as the server spelled them (full bucket keys)
  bool is_truncated = false;
  std::string next_continuation_token;
};

/// Parses a ListObjectsV2 XML body: Key, Size and LastModified of each <Contents>, <IsTruncated>
/// and <NextContinuationToken>; XML entities (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;) are
/// decoded. kCorrupt naming what is wrong for a body that is not such an answer.
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);

/// Extracts <Code> and <Message> from an S3 error body as "Code: Message"; "" if absent.
std::string ParseS3Error(std::string_view xml);

}  // namespace cairn::store
