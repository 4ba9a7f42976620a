// The Parquet reader: footer -> schema mapping -> row-group selection -> per column chunk
// page decoding -> batches. See docs/parquet.md for what is supported.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/thread_pool.h"
#include "table/filter.h"
#include "table/parquet.h"
#include "table/parquet/compression.h"
#include "table/parquet/decoding.h"
#include "table/parquet/metadata.h"

namespace cairn::table {
namespace parquet {
namespace {

// A page larger than this is rejected instead of allocated: real writers produce pages of a
// few megabytes, and a corrupt header must not make the reader allocate gigabytes.
constexpr int64_t kMaxPageBytes = int64_t{256} << 20;
// Footers are at most a few megabytes even for files with thousands of row groups.
constexpr int64_t kMaxFooterBytes = int64_t{1} << 30;
constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
// |days| above this does not fit in int64 microseconds.
constexpr int64_t kMaxDateDays = INT64_MAX / kMicrosPerDay;

// How stored INT32/INT64 values become the int64 cairn holds.
enum class IntConversion : uint8_t {
  kNone,
  kUint32,        // zero-extend the low 32 bits
  kUint64,        // reject values above INT64_MAX
  kDateToMicros,  // days since the epoch -> microseconds at midnight UTC
};

// One top-level field of the file schema.
struct FileColumn {
  std::string name;
  int leaf = -1;  // index of its column chunk within a row group
  PhysicalType physical = PhysicalType::kInt64;
  bool optional = true;
  DataType type;
  IntConversion conversion = IntConversion::kNone;
  bool signed_order = true;  // the deprecated min/max statistics are usable
  std::string unsupported;   // non-empty: why this column cannot be read
};

const char* PhysicalTypeName(PhysicalType t) {
  switch (t) {
    case PhysicalType::kBoolean:
      return "BOOLEAN";
    case PhysicalType::kInt32:
      return "INT32";
    case PhysicalType::kInt64:
      return "INT64";
    case PhysicalType::kInt96:
      return "INT96";
    case PhysicalType::kFloat:
      return "FLOAT";
    case PhysicalType::kDouble:
      return "DOUBLE";
    case PhysicalType::kByteArray:
      return "BYTE_ARRAY";
    case PhysicalType::kFixedLenByteArray:
      return "FIXED_LEN_BYTE_ARRAY";
  }
  return "unknown physical type";
}

std::string EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kPlain:
      return "PLAIN";
    case Encoding::kPlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::kRle:
      return "RLE";
    case Encoding::kBitPacked:
      return "BIT_PACKED";
    case Encoding::kDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::kDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::kDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::kRleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::kByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return "encoding " + std::to_string(static_cast<int>(e));
}

std::string CodecName(Codec c) {
  switch (c) {
    case Codec::kUncompressed:
      return "UNCOMPRESSED";
    case Codec::kSnappy:
      return "SNAPPY";
    case Codec::kGzip:
      return "GZIP";
    case Codec::kLzo:
      return "LZO";
    case Codec::kBrotli:
      return "BROTLI";
    case Codec::kLz4:
      return "LZ4";
    case Codec::kZstd:
      return "ZSTD";
    case Codec::kLz4Raw:
      return "LZ4_RAW";
  }
  return "codec " + std::to_string(static_cast<int>(c));
}

bool HasConverted(const SchemaElement& e, ConvertedType c) {
  return e.converted_type.has_value() && *e.converted_type == c;
}

std::string DecimalName(const SchemaElement& e) {
  int32_t precision = e.logical_type.kind == LogicalType::Kind::kDecimal ? e.logical_type.precision
                                                                         : e.precision.value_or(0);
  int32_t scale = e.logical_type.kind == LogicalType::Kind::kDecimal ? e.logical_type.scale
                                                                     : e.scale.value_or(0);
  return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
}

// Maps a primitive leaf to a cairn type; on failure sets col->unsupported.
void MapLeafType(const SchemaElement& e, FileColumn* col) {
  using Kind = LogicalType::Kind;
  const LogicalType& lt = e.logical_type;
  auto reject = [&](const std::string& what) {
    col->unsupported = what + " (" + PhysicalTypeName(*e.type) + ") is not supported";
  };
  if (lt.kind == Kind::kDecimal || HasConverted(e, ConvertedType::kDecimal)) {
    return reject(DecimalName(e));
  }
  if (lt.kind == Kind::kTime || HasConverted(e, ConvertedType::kTimeMillis) ||
      HasConverted(e, ConvertedType::kTimeMicros)) {
    return reject("TIME");
  }
  if (HasConverted(e, ConvertedType::kInterval)) return reject("INTERVAL");
  switch (*e.type) {
    case PhysicalType::kBoolean:
      col->type = DataType::Bool();
      return;
    case PhysicalType::kInt32:
      if (lt.kind == Kind::kDate || HasConverted(e, ConvertedType::kDate)) {
        col->type = DataType::Timestamp(TimeUnit::kMicro);
        col->conversion = IntConversion::kDateToMicros;
        return;
      }
      if ((lt.kind == Kind::kInteger && !lt.is_signed) || HasConverted(e, ConvertedType::kUint8) ||
          HasConverted(e, ConvertedType::kUint16) || HasConverted(e, ConvertedType::kUint32)) {
        col->type = DataType::Int64();
        col->conversion = IntConversion::kUint32;
        col->signed_order = false;
        return;
      }
      if (lt.kind != Kind::kNone && lt.kind != Kind::kInteger) return reject("this annotation");
      col->type = DataType::Int64();
      return;
    case PhysicalType::kInt64:
      if (lt.kind == Kind::kTimestamp) {
        col->type = DataType::Timestamp(lt.time_unit == 1   ? TimeUnit::kMilli
                                        : lt.time_unit == 3 ? TimeUnit::kNano
                                                            : TimeUnit::kMicro);
        return;
      }
      if (HasConverted(e, ConvertedType::kTimestampMillis)) {
        col->type = DataType::Timestamp(TimeUnit::kMilli);
        return;
      }
      if (HasConverted(e, ConvertedType::kTimestampMicros)) {
        col->type = DataType::Timestamp(TimeUnit::kMicro);
        return;
      }
      if ((lt.kind == Kind::kInteger && !lt.is_signed) || HasConverted(e, ConvertedType::kUint64)) {
        col->type = DataType::Int64();
        col->conversion = IntConversion::kUint64;
        col->signed_order = false;
        return;
      }
      if (lt.kind != Kind::kNone && lt.kind != Kind::kInteger) return reject("this annotation");
      col->type = DataType::Int64();
      return;
    case PhysicalType::kInt96:
      col->type = DataType::Timestamp(TimeUnit::kNano);
      col->signed_order = false;  // INT96 statistics have no defined order
      return;
    case PhysicalType::kFloat:
    case PhysicalType::kDouble:
      col->type = DataType::Float64();
      return;
    case PhysicalType::kByteArray:
      if (lt.kind == Kind::kNone || lt.kind == Kind::kString || lt.kind == Kind::kEnum ||
          lt.kind == Kind::kJson) {
        if (!e.converted_type || HasConverted(e, ConvertedType::kUtf8) ||
            HasConverted(e, ConvertedType::kEnum) || HasConverted(e, ConvertedType::kJson)) {
          col->type = DataType::String();
          col->signed_order = false;  // deprecated byte-array statistics used signed bytes
          return;
        }
      }
      return reject(lt.kind == Kind::kBson || HasConverted(e, ConvertedType::kBson)
                        ? "BSON"
                        : "this annotation");
    case PhysicalType::kFixedLenByteArray: {
      std::string what = "FIXED_LEN_BYTE_ARRAY(" + std::to_string(e.type_length.value_or(0)) + ")";
      if (lt.kind == Kind::kUuid) what = "UUID";
      if (lt.kind == Kind::kFloat16) what = "FLOAT16";
      col->unsupported = what + " is not supported";
      return;
    }
  }
  col->unsupported =
      "physical type " + std::to_string(static_cast<int>(*e.type)) + " is not supported";
}

std::string GroupKind(const SchemaElement& e) {
  if (e.logical_type.kind == LogicalType::Kind::kList || HasConverted(e, ConvertedType::kList)) {
    return "LIST";
  }
  if (e.logical_type.kind == LogicalType::Kind::kMap || HasConverted(e, ConvertedType::kMap) ||
      HasConverted(e, ConvertedType::kMapKeyValue)) {
    return "MAP";
  }
  return "STRUCT";
}

// Walks the depth-first schema list into top-level columns. Nested groups are kept as
// unsupported columns so that the others stay readable.
Status BuildColumns(const FileMetaData& meta, std::vector<FileColumn>* columns, int* num_leaves) {
  const auto& s = meta.schema;
  if (s.empty()) return Status::Corrupt("empty schema");
  const int64_t size = static_cast<int64_t>(s.size());
  const int64_t root_children = s[0].num_children.value_or(0);
  if (root_children < 0 || root_children >= size) {
    return Status::Corrupt("schema root claims " + std::to_string(root_children) +
                           " children but the schema has " + std::to_string(size - 1) +
                           " elements");
  }
  int64_t idx = 1;
  int leaf = 0;
  for (int64_t c = 0; c < root_children; ++c) {
    if (idx >= size) return Status::Corrupt("schema ends inside the root's children");
    const SchemaElement& e = s[static_cast<size_t>(idx)];
    FileColumn col;
    col.name = e.name;
    const bool is_group = e.num_children.value_or(0) > 0 || !e.type.has_value();
    if (is_group) {
      // Count the leaves under this group to keep column chunk indices aligned.
      int64_t pending = e.num_children.value_or(0);
      if (pending < 0) return Status::Corrupt("negative child count in the schema");
      ++idx;
      while (pending > 0) {
        if (idx >= size) return Status::Corrupt("schema ends inside group '" + e.name + "'");
        const SchemaElement& sub = s[static_cast<size_t>(idx++)];
        --pending;
        const int64_t children = sub.num_children.value_or(0);
        if (children < 0 || children > size) {
          return Status::Corrupt("bad child count in the schema");
        }
        if (children > 0 || !sub.type.has_value()) {
          pending += children;
        } else {
          ++leaf;
        }
      }
      col.unsupported =
          "nested column (" + GroupKind(e) + ") is not supported; cairn reads flat schemas only";
    } else {
      ++idx;
      col.leaf = leaf++;
      col.physical = *e.type;
      const Repetition rep = e.repetition_type.value_or(Repetition::kRequired);
      if (rep == Repetition::kRepeated) {
        col.unsupported = "repeated field is not supported; cairn reads flat schemas only";
      } else if (rep != Repetition::kRequired && rep != Repetition::kOptional) {
        return Status::Corrupt("column '" + e.name + "': bad repetition type");
      } else {
        col.optional = rep == Repetition::kOptional;
        MapLeafType(e, &col);
      }
    }
    columns->push_back(std::move(col));
  }
  if (idx != size) {
    return Status::Corrupt("schema has " + std::to_string(size) + " elements but the root's " +
                           "children cover " + std::to_string(idx));
  }
  *num_leaves = leaf;
  return Status::Ok();
}

// ---- statistics ----

std::optional<Scalar> StatisticValue(const FileColumn& col, const std::string& bytes) {
  Scalar v;
  v.type = col.type;
  v.is_null = false;
  switch (col.physical) {
    case PhysicalType::kBoolean:
      if (bytes.size() != 1) return std::nullopt;
      v.int_value = bytes[0] != 0;
      return v;
    case PhysicalType::kInt32: {
      if (bytes.size() != 4) return std::nullopt;
      int32_t x;
      std::memcpy(&x, bytes.data(), 4);
      v.int_value = x;
      if (col.conversion == IntConversion::kUint32) v.int_value = static_cast<uint32_t>(x);
      if (col.conversion == IntConversion::kDateToMicros) v.int_value *= kMicrosPerDay;
      return v;
    }
    case PhysicalType::kInt64: {
      if (bytes.size() != 8) return std::nullopt;
      std::memcpy(&v.int_value, bytes.data(), 8);
      if (col.conversion == IntConversion::kUint64 && v.int_value < 0) return std::nullopt;
      return v;
    }
    case PhysicalType::kFloat: {
      if (bytes.size() != 4) return std::nullopt;
      float x;
      std::memcpy(&x, bytes.data(), 4);
      v.double_value = static_cast<double>(x);
      if (std::isnan(v.double_value)) return std::nullopt;
      return v;
    }
    case PhysicalType::kDouble:
      if (bytes.size() != 8) return std::nullopt;
      std::memcpy(&v.double_value, bytes.data(), 8);
      if (std::isnan(v.double_value)) return std::nullopt;
      return v;
    case PhysicalType::kByteArray:
      v.string_value = bytes;
      return v;
    default:
      return std::nullopt;
  }
}

// True when the statistics of `chunk` prove that no row of a group of `rows` rows satisfies
// `pred` (bound to the column's type).
bool StatisticsRuleOut(const FileColumn& col, const ColumnChunk& chunk, int64_t rows,
                       const Predicate& pred) {
  if (!chunk.meta_data || !chunk.meta_data->statistics) return false;
  const Statistics& st = *chunk.meta_data->statistics;
  // Nulls satisfy no comparison, so an all-null chunk matches nothing.
  if (st.null_count && rows > 0 && *st.null_count == rows) return true;
  if (pred.value.is_null) return false;
  const std::string* min = nullptr;
  const std::string* max = nullptr;
  if (st.min_value && st.max_value) {
    min = &*st.min_value;
    max = &*st.max_value;
  } else if (st.min && st.max && col.signed_order) {
    // The deprecated fields are ordered as signed values, which is right only for numbers.
    min = &*st.min;
    max = &*st.max;
  } else {
    return false;
  }
  std::optional<Scalar> lo = StatisticValue(col, *min);
  std::optional<Scalar> hi = StatisticValue(col, *max);
  if (!lo || !hi) return false;
  const bool is_float = col.type.kind == TypeKind::kFloat64;
  // Writers leave NaN out of float statistics, and NaN sorts above every number here, so for
  // floats only bounds from the minimum are safe, and a NaN literal proves nothing.
  if (is_float && std::isnan(pred.value.double_value) &&
      pred.value.type.kind == TypeKind::kFloat64) {
    return false;
  }
  const int cmp_lo = CompareToScalar(*lo, pred.value);
  const int cmp_hi = CompareToScalar(*hi, pred.value);
  switch (pred.op) {
    case CompareOp::kEq:
      return cmp_lo > 0 || cmp_hi < 0;
    case CompareOp::kNe:
      return !is_float && cmp_lo == 0 && cmp_hi == 0;
    case CompareOp::kLt:
      return cmp_lo >= 0;
    case CompareOp::kLe:
      return cmp_lo > 0;
    case CompareOp::kGt:
      return !is_float && cmp_hi <= 0;
    case CompareOp::kGe:
      return !is_float && cmp_hi < 0;
  }
  return false;
}

// ---- column chunk decoding ----

// A buffer that is resized without zero-filling.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&& o) noexcept
      : data_(std::move(o.data_)),
        capacity_(std::exchange(o.capacity_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    data_ = std::move(o.data_);
    capacity_ = std::exchange(o.capacity_, 0);
    size_ = std::exchange(o.size_, 0);
    return *this;
  }

  uint8_t* Resize(int64_t n) {
    if (n > capacity_) {
      data_ = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(n));
      capacity_ = n;
    }
    size_ = n;
    return data_.get();
  }
  uint8_t* data() const { return data_.get(); }
  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  int64_t capacity_ = 0;
  int64_t size_ = 0;
};

// Recycles chunk and page buffers between column chunks: touching fresh memory costs a page
// fault per 4 KiB, which showed up as a third of the decode time. Thread-safe.
class BufferPool {
 public:
  // A buffer to be resized to `size` bytes: the smallest free one that holds them, else the
  // largest (which Resize replaces by a larger one), else a new empty one.
  ByteBuffer Take(int64_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return ByteBuffer();
    size_t best = 0;
    for (size_t i = 1; i < free_.size(); ++i) {
      const int64_t c = free_[i].capacity();
      const int64_t b = free_[best].capacity();
      if (b >= size ? (c >= size && c < b) : c > b) best = i;
    }
    ByteBuffer b = std::move(free_[best]);
    if (best + 1 != free_.size()) free_[best] = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void Give(ByteBuffer b) {
    if (b.data() == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mu_;
  std::vector<ByteBuffer> free_;
};

template <typename T>
void SpreadOverNulls(T* v, const uint8_t* valid, int64_t k, int64_t m) {
  // The m decoded values sit at v[0, m); move them to the valid slots from the back. Once
  // the source and destination meet, the remaining slots are all valid and in place.
  int64_t j = m - 1;
  for (int64_t i = k - 1; i > j; --i) {
    if (valid[i]) {
      v[i] = v[j--];
    } else {
      v[i] = T{};
    }
  }
}

// Decodes the pages of one column chunk, in any number of steps, into columns.
class ChunkDecoder {
 public:
  ChunkDecoder() = default;
  ChunkDecoder(ChunkDecoder&&) = default;
  ChunkDecoder& operator=(ChunkDecoder&&) = delete;
  ~ChunkDecoder() {
    if (pool_ != nullptr) {
      pool_->Give(std::move(chunk_));
      pool_->Give(std::move(page_));
      for (ByteBuffer& b : inflated_) pool_->Give(std::move(b));
    }
  }

  // Takes the chunk bytes, which came from `pool` (page buffers are taken from there too,
  // and all go back on destruction); `expected` is the number of values the chunk holds.
  void Init(const FileColumn* col, Codec codec, ByteBuffer bytes, BufferPool* pool,
            int64_t expected, std::string context) {
    pool_ = pool;
    col_ = col;
    codec_ = codec;
    chunk_ = std::move(bytes);
    expected_ = expected;
    context_ = std::move(context);
  }

  // Decodes the next n values into rows [at, at + n) of `out`. Fixed-width storage (and the
  // validity of an optional column) must already have at least at + n entries; for strings
  // `out` must hold exactly `at` rows and the values are appended.
  Status Read(int64_t n, Column* out, int64_t at);

  // Decompresses every page the chunk's values are in, into buffers from the pool that stay
  // with this decoder, so that the Read calls that follow only decode. Call at most once,
  // before the first Read. Reports the errors in page headers, dictionaries and compressed
  // bytes that Read would report; errors in the values are still Read's.
  Status Inflate();

 private:
  // Where PageBytes finds a compressed page's bytes.
  enum class PageSource : uint8_t {
    kDecompress,  // decompress it into page_, reused for every page
    kRecord,      // decompress it into a buffer of its own, appended to inflated_ (Inflate)
    kReplay,      // take the next buffer of inflated_ (Read after Inflate)
  };

  Status Corrupt(const std::string& what) const { return Status::Corrupt(context_ + ": " + what); }
  Status NextDataPage();
  Status LoadDictionary(const DictionaryPageHeader& h, const uint8_t* data, int64_t size);
  Status StartValues(Encoding encoding, const uint8_t* p, const uint8_t* end);
  Status DecodeLevels(int64_t k, uint8_t* valid);
  Status DecodeDense(int64_t m, Column* out, int64_t at);
  Status DecodeDenseStrings(int64_t m, Column* out);
  Status Convert(int64_t* v, int64_t m) const;
  // Decompresses [data, data + size) into page_ when the chunk is compressed.
  Result<const uint8_t*> PageBytes(const uint8_t* data, int64_t size, int64_t uncompressed);

  BufferPool* pool_ = nullptr;
  const FileColumn* col_ = nullptr;
  Codec codec_ = Codec::kUncompressed;
  ByteBuffer chunk_;
  int64_t pos_ = 0;
  int64_t expected_ = 0;
  int64_t started_ = 0;  // values in the data pages started so far
  std::string context_;
  ByteBuffer page_;
  PageSource page_source_ = PageSource::kDecompress;
  std::vector<ByteBuffer> inflated_;  // pages in the order they are read
  size_t next_inflated_ = 0;

  // Dictionary, already converted to the output type.
  bool has_dictionary_ = false;
  int64_t dict_size_ = 0;
  std::vector<int64_t> dict_ints_;
  std::vector<double> dict_doubles_;
  std::vector<uint8_t> dict_bools_;
  std::vector<int64_t> dict_offsets_;
  std::string dict_chars_;

  // Current data page.
  int64_t page_left_ = 0;
  bool levels_bit_packed_ = false;  // v1 BIT_PACKED definition levels
  RleBitPackedDecoder levels_;
  const uint8_t* levels_data_ = nullptr;
  int64_t levels_size_ = 0;
  int64_t levels_pos_ = 0;
  Encoding encoding_ = Encoding::kPlain;
  const uint8_t* values_ = nullptr;
  const uint8_t* values_end_ = nullptr;
  int bool_bit_ = 0;
  RleBitPackedDecoder rle_values_;  // dictionary indices or RLE booleans
  DeltaBinaryPackedDecoder delta_;
  DeltaLengthByteArrayDecoder delta_length_;
  DeltaByteArrayDecoder delta_bytes_;
  int64_t split_count_ = 0;  // BYTE_STREAM_SPLIT: values in the page
  int64_t split_pos_ = 0;

  std::vector<uint32_t> indices_;
  std::vector<uint32_t> lengths_;
  std::vector<uint8_t> split_bytes_;
};

Result<const uint8_t*> ChunkDecoder::PageBytes(const uint8_t* data, int64_t size,
                                               int64_t uncompressed) {
  if (codec_ == Codec::kUncompressed) {
    if (size != uncompressed) {
      return Corrupt("page of " + std::to_string(size) + " bytes says it holds " +
                     std::to_string(uncompressed) + " uncompressed bytes");
    }
    return data;
  }
  if (uncompressed < 0 || uncompressed > kMaxPageBytes) {
    return Corrupt("page claims " + std::to_string(uncompressed) +
                   " uncompressed bytes (limit 256 MiB)");
  }
  if (page_source_ == PageSource::kReplay) {
    if (next_inflated_ >= inflated_.size() || inflated_[next_inflated_].size() != uncompressed) {
      return Status::Internal(context_ + ": pages differ from those decompressed before");
    }
    return static_cast<const uint8_t*>(inflated_[next_inflated_++].data());
  }
  ByteBuffer* buffer = &page_;
  if (page_source_ == PageSource::kRecord) {
    inflated_.push_back(pool_->Take(uncompressed));
    buffer = &inflated_.back();
  } else if (page_.data() == nullptr) {
    page_ = pool_->Take(uncompressed);
  }
  uint8_t* out = buffer->Resize(uncompressed);
  Status st = Decompress(
      codec_, std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(size)),
      uncompressed, reinterpret_cast<char*>(out));
  if (!st.ok()) return st.WithPrefix(context_);
  return static_cast<const uint8_t*>(out);
}

Status ChunkDecoder::Convert(int64_t* v, int64_t m) const {
  switch (col_->conversion) {
    case IntConversion::kNone:
      return Status::Ok();
    case IntConversion::kUint32:
      for (int64_t i = 0; i < m; ++i) v[i] = static_cast<int64_t>(static_cast<uint32_t>(v[i]));
      return Status::Ok();
    case IntConversion::kUint64: {
      int64_t lowest = 0;
      for (int64_t i = 0; i < m; ++i) lowest = std::min(lowest, v[i]);
      if (lowest < 0) {
        return Status::Unsupported(context_ + ": UINT_64 value " +
                                   std::to_string(static_cast<uint64_t>(lowest)) +
                                   " exceeds the int64 range");
      }
      return Status::Ok();
    }
    case IntConversion::kDateToMicros: {
      int64_t lo = 0, hi = 0;
      for (int64_t i = 0; i < m; ++i) {
        lo = std::min(lo, v[i]);
        hi = std::max(hi, v[i]);
      }
      if (hi > kMaxDateDays || lo < -kMaxDateDays) {
        return Corrupt("DATE value out of the timestamp range");
      }
      for (int64_t i = 0; i < m; ++i) v[i] *= kMicrosPerDay;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status ChunkDecoder::LoadDictionary(const DictionaryPageHeader& h, const uint8_t* data,
                                    int64_t size) {
  if (has_dictionary_) return Corrupt("second dictionary page");
  if (h.encoding != Encoding::kPlain && h.encoding != Encoding::kPlainDictionary) {
    return Status::Unsupported(context_ + ": dictionary page encoding " + EncodingName(h.encoding) +
                               " is not supported");
  }
  const int64_t n = h.num_values;
  // Check the count against the page size before sizing anything by it: BYTE_ARRAY entries
  // take at least their 4-byte length, booleans one bit, the rest their width.
  int64_t max_entries = size / 4;
  switch (col_->physical) {
    case PhysicalType::kBoolean:
      max_entries = size * 8;
      break;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble:
      max_entries = size / 8;
      break;
    case PhysicalType::kInt96:
      max_entries = size / 12;
      break;
    default:
      break;
  }
  if (n < 0 || n > max_entries) {
    return Corrupt("dictionary of " + std::to_string(n) + " entries in a page of " +
                   std::to_string(size) + " bytes");
  }
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  bool ok = true;
  switch (col_->physical) {
    case PhysicalType::kBoolean: {
      dict_bools_.resize(static_cast<size_t>(n));
      int bit = 0;
      ok = DecodePlainBool(&p, end, &bit, n, dict_bools_.data());
      break;
    }
    case PhysicalType::kInt32:
      dict_ints_.resize(static_cast<size_t>(n));
      ok = DecodePlainInt32(&p, end, n, dict_ints_.data());
      if (ok) CAIRN_RETURN_IF_ERROR(Convert(dict_ints_.data(), n));
      break;
    case PhysicalType::kInt64:
      dict_ints_.resize(static_cast<size_t>(n));
      ok = DecodePlainInt64(&p, end, n, dict_ints_.data());
      if (ok) CAIRN_RETURN_IF_ERROR(Convert(dict_ints_.data(), n));
      break;
    case PhysicalType::kInt96:
      dict_ints_.resize(static_cast<size_t>(n));
      ok = DecodePlainInt96(&p, end, n, dict_ints_.data());
      break;
    case PhysicalType::kFloat:
      dict_doubles_.resize(static_cast<size_t>(n));
      ok = DecodePlainFloat(&p, end, n, dict_doubles_.data());
      break;
    case PhysicalType::kDouble:
      dict_doubles_.resize(static_cast<size_t>(n));
      ok = DecodePlainDouble(&p, end, n, dict_doubles_.data());
      break;
    case PhysicalType::kByteArray: {
      std::vector<uint32_t> lengths(static_cast<size_t>(n));
      dict_chars_.clear();
      ok = DecodePlainByteArrays(&p, end, n, &dict_chars_, lengths.data());
      if (ok) {
        dict_offsets_.resize(static_cast<size_t>(n) + 1);
        dict_offsets_[0] = 0;
        for (int64_t i = 0; i < n; ++i) {
          dict_offsets_[static_cast<size_t>(i) + 1] =
              dict_offsets_[static_cast<size_t>(i)] + lengths[static_cast<size_t>(i)];
        }
      }
      break;
    }
    default:
      return Status::Internal(context_ + ": unexpected physical type");
  }
  if (!ok) return Corrupt("dictionary page is shorter than its " + std::to_string(n) + " values");
  has_dictionary_ = true;
  dict_size_ = n;
  return Status::Ok();
}

Status ChunkDecoder::StartValues(Encoding encoding, const uint8_t* p, const uint8_t* end) {
  encoding_ = encoding;
  values_ = p;
  values_end_ = end;
  bool_bit_ = 0;
  const PhysicalType t = col_->physical;
  auto unsupported = [&] {
    return Status::Unsupported(context_ + ": encoding " + EncodingName(encoding) +
                               " is not supported for " + PhysicalTypeName(t));
  };
  switch (encoding) {
    case Encoding::kPlain:
      return Status::Ok();
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary: {
      if (!has_dictionary_) return Corrupt("dictionary-encoded page without a dictionary page");
      if (p >= end) return Corrupt("dictionary-encoded page without a bit width");
      const int bit_width = *p;
      if (!rle_values_.Reset(p + 1, end - p - 1, bit_width)) {
        return Corrupt("bad dictionary index bit width " + std::to_string(bit_width));
      }
      encoding_ = Encoding::kRleDictionary;
      return Status::Ok();
    }
    case Encoding::kRle: {
      if (t != PhysicalType::kBoolean) return unsupported();
      if (end - p < 4) return Corrupt("RLE boolean page without its length");
      uint32_t len;
      std::memcpy(&len, p, 4);
      if (len > static_cast<uint64_t>(end - p - 4)) return Corrupt("RLE length past the page");
      (void)rle_values_.Reset(p + 4, len, 1);
      return Status::Ok();
    }
    case Encoding::kDeltaBinaryPacked:
      if (t != PhysicalType::kInt32 && t != PhysicalType::kInt64) return unsupported();
      if (!delta_.Init(p, end - p)) return Corrupt("malformed DELTA_BINARY_PACKED header");
      return Status::Ok();
    case Encoding::kDeltaLengthByteArray:
      if (t != PhysicalType::kByteArray) return unsupported();
      if (!delta_length_.Init(p, end - p)) return Corrupt("malformed DELTA_LENGTH_BYTE_ARRAY data");
      return Status::Ok();
    case Encoding::kDeltaByteArray:
      if (t != PhysicalType::kByteArray) return unsupported();
      if (!delta_bytes_.Init(p, end - p)) return Corrupt("malformed DELTA_BYTE_ARRAY data");
      return Status::Ok();
    case Encoding::kByteStreamSplit: {
      int width = 0;
      if (t == PhysicalType::kFloat || t == PhysicalType::kInt32) width = 4;
      if (t == PhysicalType::kDouble || t == PhysicalType::kInt64) width = 8;
      if (width == 0) return unsupported();
      if ((end - p) % width != 0) return Corrupt("BYTE_STREAM_SPLIT data is not whole values");
      split_count_ = (end - p) / width;
      split_pos_ = 0;
      return Status::Ok();
    }
    default:
      return unsupported();
  }
}

Status ChunkDecoder::NextDataPage() {
  for (;;) {
    if (pos_ >= chunk_.size()) {
      return Corrupt("column chunk ends after " + std::to_string(started_) + " of " +
                     std::to_string(expected_) + " values");
    }
    int64_t header_size = 0;
    Result<PageHeader> header =
        DecodePageHeader(std::string_view(reinterpret_cast<const char*>(chunk_.data() + pos_),
                                          static_cast<size_t>(chunk_.size() - pos_)),
                         &header_size);
    if (!header.ok()) {
      return header.status().WithPrefix(context_ + ": page at chunk offset " +
                                        std::to_string(pos_));
    }
    const PageHeader& h = *header;
    pos_ += header_size;
    if (h.compressed_page_size > chunk_.size() - pos_) {
      return Corrupt("page of " + std::to_string(h.compressed_page_size) +
                     " bytes runs past the end of the column chunk");
    }
    const uint8_t* body = chunk_.data() + pos_;
    const int64_t body_size = h.compressed_page_size;
    pos_ += body_size;

    if (h.type == PageType::kDictionaryPage) {
      if (!h.dictionary_page_header) return Corrupt("dictionary page without its header");
      CAIRN_ASSIGN_OR_RETURN(const uint8_t* data,
                             PageBytes(body, body_size, h.uncompressed_page_size));
      CAIRN_RETURN_IF_ERROR(
          LoadDictionary(*h.dictionary_page_header, data, h.uncompressed_page_size));
      continue;
    }
    if (h.type != PageType::kDataPage && h.type != PageType::kDataPageV2) {
      continue;  // index pages and page types of later versions carry no values we need
    }

    int64_t num_values = 0;
    const uint8_t* p = nullptr;
    const uint8_t* end = nullptr;
    Encoding encoding;
    levels_bit_packed_ = false;
    if (h.type == PageType::kDataPage) {
      if (!h.data_page_header) return Corrupt("data page without its header");
      const DataPageHeader& d = *h.data_page_header;
      num_values = d.num_values;
      encoding = d.encoding;
      CAIRN_ASSIGN_OR_RETURN(p, PageBytes(body, body_size, h.uncompressed_page_size));
      end = p + h.uncompressed_page_size;
      if (num_values < 0 || num_values > expected_ - started_) {
        return Corrupt("page holds " + std::to_string(num_values) +
                       " values, more than the column chunk has left");
      }
      // Flat columns have no repetition levels; definition levels exist only if optional.
      if (col_->optional) {
        if (d.definition_level_encoding == Encoding::kRle) {
          if (end - p < 4) return Corrupt("definition levels without their length");
          uint32_t len;
          std::memcpy(&len, p, 4);
          if (len > static_cast<uint64_t>(end - p - 4)) {
            return Corrupt("definition levels run past the page");
          }
          (void)levels_.Reset(p + 4, len, 1);
          p += 4 + len;
        } else if (d.definition_level_encoding == Encoding::kBitPacked) {
          const int64_t bytes = (num_values + 7) / 8;
          if (bytes > end - p) return Corrupt("definition levels run past the page");
          levels_bit_packed_ = true;
          levels_data_ = p;
          levels_size_ = bytes;
          levels_pos_ = 0;
          p += bytes;
        } else {
          return Corrupt("definition level encoding " + EncodingName(d.definition_level_encoding));
        }
      }
    } else {
      if (!h.data_page_header_v2) return Corrupt("data page v2 without its header");
      const DataPageHeaderV2& d = *h.data_page_header_v2;
      num_values = d.num_values;
      encoding = d.encoding;
      if (num_values < 0 || num_values > expected_ - started_) {
        return Corrupt("page holds " + std::to_string(num_values) +
                       " values, more than the column chunk has left");
      }
      const int64_t rep = d.repetition_levels_byte_length;
      const int64_t def = d.definition_levels_byte_length;
      if (rep < 0 || def < 0 || rep + def > body_size) {
        return Corrupt("level lengths exceed the page");
      }
      // Levels are never compressed in v2 pages; only the values after them may be.
      if (col_->optional) (void)levels_.Reset(body + rep, def, 1);
      const int64_t levels = rep + def;
      const int64_t uncompressed = h.uncompressed_page_size - levels;
      if (uncompressed < 0) return Corrupt("level lengths exceed the page");
      if (d.is_compressed && codec_ != Codec::kUncompressed) {
        CAIRN_ASSIGN_OR_RETURN(p, PageBytes(body + levels, body_size - levels, uncompressed));
        end = p + uncompressed;
      } else {
        p = body + levels;
        end = body + body_size;
      }
    }
    CAIRN_RETURN_IF_ERROR(StartValues(encoding, p, end));
    started_ += num_values;
    page_left_ = num_values;
    if (num_values > 0) return Status::Ok();
  }
}

Status ChunkDecoder::Inflate() {
  page_source_ = PageSource::kRecord;
  while (started_ < expected_) {
    CAIRN_RETURN_IF_ERROR(NextDataPage());
    page_left_ = 0;
  }
  // Read walks the same pages from the start, taking their bytes from inflated_; the
  // dictionary is loaded again from its buffer then.
  page_source_ = PageSource::kReplay;
  pos_ = 0;
  started_ = 0;
  has_dictionary_ = false;
  return Status::Ok();
}

Status ChunkDecoder::DecodeLevels(int64_t k, uint8_t* valid) {
  bool ok = levels_bit_packed_
                ? DecodeBitPackedLevels(levels_data_, levels_size_, 1, levels_pos_, k, valid)
                : levels_.Decode(valid, k);
  levels_pos_ += k;
  if (!ok) return Corrupt("definition levels end before the page's values");
  uint8_t any_high = 0;
  for (int64_t i = 0; i < k; ++i) any_high |= valid[i] & 0xFE;
  if (any_high != 0) return Corrupt("definition level above the maximum of 1");
  return Status::Ok();
}

Status ChunkDecoder::DecodeDenseStrings(int64_t m, Column* out) {
  lengths_.resize(static_cast<size_t>(m));
  std::string* chars = &out->chars();
  bool ok = true;
  switch (encoding_) {
    case Encoding::kPlain:
      ok = DecodePlainByteArrays(&values_, values_end_, m, chars, lengths_.data());
      break;
    case Encoding::kDeltaLengthByteArray:
      ok = m <= delta_length_.remaining() && delta_length_.Decode(m, chars, lengths_.data());
      break;
    case Encoding::kDeltaByteArray:
      ok = m <= delta_bytes_.remaining() && delta_bytes_.Decode(m, chars, lengths_.data());
      break;
    case Encoding::kRleDictionary: {
      indices_.resize(static_cast<size_t>(m));
      if (!rle_values_.Decode(indices_.data(), m)) {
        return Corrupt("dictionary indices end before the page's values");
      }
      uint32_t max_index = 0;
      for (int64_t i = 0; i < m; ++i)
        max_index = std::max(max_index, indices_[static_cast<size_t>(i)]);
      if (m > 0 && max_index >= dict_size_) {
        return Corrupt("dictionary index " + std::to_string(max_index) +
                       " out of range for a dictionary of " + std::to_string(dict_size_));
      }
      const int64_t* offs = dict_offsets_.data();
      uint64_t total = 0;
      for (int64_t i = 0; i < m; ++i) {
        const uint32_t x = indices_[static_cast<size_t>(i)];
        const int64_t len = offs[x + 1] - offs[x];
        lengths_[static_cast<size_t>(i)] = static_cast<uint32_t>(len);
        total += static_cast<uint64_t>(len);
      }
      const size_t base = chars->size();
      chars->resize(base + total);
      char* dst = chars->data() + base;
      const char* src = dict_chars_.data();
      for (int64_t i = 0; i < m; ++i) {
        const uint32_t x = indices_[static_cast<size_t>(i)];
        const size_t len = lengths_[static_cast<size_t>(i)];
        std::memcpy(dst, src + offs[x], len);
        dst += len;
      }
      break;
    }
    default:
      return Status::Internal(context_ + ": unexpected string encoding");
  }
  if (!ok) return Corrupt("values end before the page's value count");
  return Status::Ok();
}

Status ChunkDecoder::DecodeDense(int64_t m, Column* out, int64_t at) {
  const PhysicalType t = col_->physical;
  if (t == PhysicalType::kByteArray) return DecodeDenseStrings(m, out);
  bool ok = true;
  if (encoding_ == Encoding::kRleDictionary) {
    indices_.resize(static_cast<size_t>(m));
    if (!rle_values_.Decode(indices_.data(), m)) {
      return Corrupt("dictionary indices end before the page's values");
    }
    switch (col_->type.kind) {
      case TypeKind::kInt64:
      case TypeKind::kTimestamp:
        ok = GatherDictionary(dict_ints_.data(), dict_size_, indices_.data(), m,
                              out->ints().data() + at);
        break;
      case TypeKind::kFloat64:
        ok = GatherDictionary(dict_doubles_.data(), dict_size_, indices_.data(), m,
                              out->doubles().data() + at);
        break;
      case TypeKind::kBool:
        ok = GatherDictionary(dict_bools_.data(), dict_size_, indices_.data(), m,
                              out->bools().data() + at);
        break;
      case TypeKind::kString:
        break;
    }
    if (!ok) {
      return Corrupt("dictionary index out of range for a dictionary of " +
                     std::to_string(dict_size_));
    }
    return Status::Ok();
  }
  switch (encoding_) {
    case Encoding::kPlain:
      switch (t) {
        case PhysicalType::kBoolean:
          ok = DecodePlainBool(&values_, values_end_, &bool_bit_, m, out->bools().data() + at);
          break;
        case PhysicalType::kInt32:
          ok = DecodePlainInt32(&values_, values_end_, m, out->ints().data() + at);
          break;
        case PhysicalType::kInt64:
          ok = DecodePlainInt64(&values_, values_end_, m, out->ints().data() + at);
          break;
        case PhysicalType::kInt96:
          ok = DecodePlainInt96(&values_, values_end_, m, out->ints().data() + at);
          break;
        case PhysicalType::kFloat:
          ok = DecodePlainFloat(&values_, values_end_, m, out->doubles().data() + at);
          break;
        case PhysicalType::kDouble:
          ok = DecodePlainDouble(&values_, values_end_, m, out->doubles().data() + at);
          break;
        default:
          return Status::Internal(context_ + ": unexpected physical type");
      }
      break;
    case Encoding::kRle:
      ok = rle_values_.Decode(out->bools().data() + at, m);
      break;
    case Encoding::kDeltaBinaryPacked: {
      int64_t* v = out->ints().data() + at;
      ok = m <= delta_.remaining() && delta_.Decode(v, m);
      if (ok && t == PhysicalType::kInt32) {
        // INT32 deltas wrap at 32 bits: keep the low half, sign-extended.
        for (int64_t i = 0; i < m; ++i) v[i] = static_cast<int32_t>(static_cast<uint32_t>(v[i]));
      }
      break;
    }
    case Encoding::kByteStreamSplit: {
      if (m > split_count_ - split_pos_) {
        ok = false;
        break;
      }
      const uint8_t* data = values_;
      if (t == PhysicalType::kDouble || t == PhysicalType::kInt64) {
        uint8_t* dst = t == PhysicalType::kDouble
                           ? reinterpret_cast<uint8_t*>(out->doubles().data() + at)
                           : reinterpret_cast<uint8_t*>(out->ints().data() + at);
        DecodeByteStreamSplit(data, split_count_, 8, split_pos_, m, dst);
      } else {
        split_bytes_.resize(static_cast<size_t>(m) * 4);
        DecodeByteStreamSplit(data, split_count_, 4, split_pos_, m, split_bytes_.data());
        const uint8_t* q = split_bytes_.data();
        if (t == PhysicalType::kFloat) {
          const uint8_t* qe = q + 4 * m;
          (void)DecodePlainFloat(&q, qe, m, out->doubles().data() + at);
        } else {
          const uint8_t* qe = q + 4 * m;
          (void)DecodePlainInt32(&q, qe, m, out->ints().data() + at);
        }
      }
      split_pos_ += m;
      break;
    }
    default:
      return Status::Internal(context_ + ": unexpected encoding");
  }
  if (!ok) return Corrupt("values end before the page's value count");
  if (t == PhysicalType::kInt32 || t == PhysicalType::kInt64) {
    return Convert(out->ints().data() + at, m);
  }
  return Status::Ok();
}

Status ChunkDecoder::Read(int64_t n, Column* out, int64_t at) {
  const bool strings = col_->type.kind == TypeKind::kString;
  if (strings) {
    out->offsets().resize(static_cast<size_t>(at + n) + 1);
  }
  while (n > 0) {
    if (page_left_ == 0) CAIRN_RETURN_IF_ERROR(NextDataPage());
    const int64_t k = std::min(n, page_left_);
    int64_t m = k;
    uint8_t* valid = nullptr;
    if (col_->optional) {
      valid = out->validity().data() + at;
      CAIRN_RETURN_IF_ERROR(DecodeLevels(k, valid));
      m = 0;
      for (int64_t i = 0; i < k; ++i) m += valid[i];
    }
    CAIRN_RETURN_IF_ERROR(DecodeDense(m, out, at));
    if (strings) {
      int64_t* offs = out->offsets().data() + at;
      int64_t off = offs[0];
      if (m == k) {
        for (int64_t i = 0; i < k; ++i) {
          off += lengths_[static_cast<size_t>(i)];
          offs[i + 1] = off;
        }
      } else {
        int64_t j = 0;
        for (int64_t i = 0; i < k; ++i) {
          if (valid[i]) off += lengths_[static_cast<size_t>(j++)];
          offs[i + 1] = off;
        }
      }
    } else if (m < k) {
      switch (col_->type.kind) {
        case TypeKind::kInt64:
        case TypeKind::kTimestamp:
          SpreadOverNulls(out->ints().data() + at, valid, k, m);
          break;
        case TypeKind::kFloat64:
          SpreadOverNulls(out->doubles().data() + at, valid, k, m);
          break;
        case TypeKind::kBool:
          SpreadOverNulls(out->bools().data() + at, valid, k, m);
          break;
        case TypeKind::kString:
          break;
      }
    }
    page_left_ -= k;
    n -= k;
    at += k;
  }
  return Status::Ok();
}

// Sizes the storage of `col` for `rows` rows (fixed-width types and validity; strings get
// their first offset) so that ChunkDecoder::Read can write in place.
void PrepareColumn(const FileColumn& info, int64_t rows, Column* col) {
  const size_t n = static_cast<size_t>(rows);
  switch (info.type.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      col->ints().resize(n);
      break;
    case TypeKind::kFloat64:
      col->doubles().resize(n);
      break;
    case TypeKind::kBool:
      col->bools().resize(n);
      break;
    case TypeKind::kString:
      col->offsets().assign(1, 0);
      col->offsets().reserve(n + 1);
      break;
  }
  if (info.optional) col->validity().resize(n);
}

void FinishColumn(Column* col) {
  col->SetSizeAfterBulkFill();
  if (col->null_count() == 0 && !col->validity().empty()) {
    col->validity().clear();
    col->validity().shrink_to_fit();
  }
}

// Calls `place` for the row groups of one column in group order while their chunks arrive in
// any order from parallel tasks: the task that delivers the group next in line places it and
// then every later group that arrived meanwhile; the others only leave their chunk. No task
// ever waits for another. Thread-safe; calls of `place` never overlap.
class InOrderPlacer {
 public:
  // `decoder` is null for a group whose chunk could not be prepared.
  using Place = std::function<void(size_t group, std::unique_ptr<ChunkDecoder> decoder)>;

  InOrderPlacer(size_t num_groups, Place place)
      : place_(std::move(place)), arrived_(num_groups), waiting_(num_groups) {}

  // Hands over group `g`'s decoder (null if it failed). Each group exactly once.
  void Deliver(size_t g, std::unique_ptr<ChunkDecoder> decoder) {
    std::unique_lock<std::mutex> lock(mu_);
    arrived_[g] = 1;
    waiting_[g] = std::move(decoder);
    if (placing_) return;  // the placing task will reach this group
    placing_ = true;
    while (next_ < arrived_.size() && arrived_[next_] != 0) {
      const size_t h = next_;
      std::unique_ptr<ChunkDecoder> d = std::move(waiting_[h]);
      lock.unlock();
      place_(h, std::move(d));
      lock.lock();
      ++next_;
    }
    placing_ = false;
  }

 private:
  Place place_;
  std::mutex mu_;
  std::vector<uint8_t> arrived_;
  std::vector<std::unique_ptr<ChunkDecoder>> waiting_;
  size_t next_ = 0;
  bool placing_ = false;
};

// Before the strings of rows [done, done + next) of `total` are appended to `col`: when they
// might not fit its character capacity, reserves room for every row left at the mean length
// so far (a little more), but at most `limit` bytes ahead. Growing a string copies it, so one
// good guess beats doubling again and again.
void ReserveChars(Column* col, int64_t done, int64_t next, int64_t total, int64_t limit) {
  std::string& chars = col->chars();
  if (done <= 0 || chars.empty()) return;
  const double per_row = static_cast<double>(chars.size()) / static_cast<double>(done);
  const double room = static_cast<double>(chars.capacity() - chars.size());
  if (room >= per_row * static_cast<double>(next) * 1.25) return;
  const double ahead =
      std::min(per_row * static_cast<double>(total - done) * 1.0625, static_cast<double>(limit));
  if (ahead > room) chars.reserve(chars.size() + static_cast<size_t>(ahead));
}

// ---- the reader ----

class FileReader final : public ParquetReader {
 public:
  static Result<std::unique_ptr<FileReader>> Open(std::unique_ptr<RandomAccessFile> file,
                                                  const ReadOptions& options);

  const Schema& schema() const override { return schema_; }
  Result<bool> Next(Table* batch) override;
  Result<Table> ReadAll() override;
  const ParquetReaderStats& stats() const override { return stats_; }

 private:
  FileReader() = default;
  Status ReadFooter();
  Status Plan(const ReadOptions& options);
  Status CheckRowGroup(int g) const;
  std::string Context(int g, const FileColumn& col) const {
    return file_->name() + ": row group " + std::to_string(g) + ": column '" + col.name + "'";
  }
  // Reads column chunk `c` of row group `g` and prepares a decoder for it.
  Status OpenChunk(int g, const FileColumn& col, ChunkDecoder* decoder) const;
  Status StartRowGroup(int g);

  std::unique_ptr<RandomAccessFile> file_;
  FileMetaData meta_;
  std::vector<FileColumn> columns_;  // every top-level field of the file
  int num_leaves_ = 0;
  std::vector<int> read_;  // columns_ indices read: the output ones, then filter-only ones
  size_t num_output_ = 0;
  Schema schema_;       // output
  Schema read_schema_;  // every column read
  std::vector<Predicate> filters_;
  std::vector<int> groups_;  // row groups not ruled out, in file order
  int threads_ = 1;
  int64_t batch_rows_ = 1 << 16;
  ParquetReaderStats stats_;

  // Declared before the decoders, which return their buffers here when destroyed.
  mutable BufferPool pool_;

  // Streaming state.
  size_t next_group_ = 0;
  int64_t group_rows_left_ = 0;
  std::vector<ChunkDecoder> decoders_;
  bool started_ = false;
};

Status FileReader::ReadFooter() {
  const std::string& name = file_->name();
  const int64_t size = file_->size();
  if (size < 12) {
    return Status::Corrupt(name + ": not a Parquet file (" + std::to_string(size) +
                           " bytes, too short)");
  }
  char tail[8];
  CAIRN_RETURN_IF_ERROR(file_->ReadAt(size - 8, 8, tail));
  if (std::memcmp(tail + 4, "PARE", 4) == 0) {
    return Status::Unsupported(name + ": encrypted Parquet files are not supported");
  }
  char head[4];
  CAIRN_RETURN_IF_ERROR(file_->ReadAt(0, 4, head));
  if (std::memcmp(tail + 4, "PAR1", 4) != 0 || std::memcmp(head, "PAR1", 4) != 0) {
    return Status::Corrupt(name + ": not a Parquet file (missing PAR1 magic)");
  }
  uint32_t footer_len;
  std::memcpy(&footer_len, tail, 4);
  if (static_cast<int64_t>(footer_len) > size - 12 || footer_len > kMaxFooterBytes) {
    return Status::Corrupt(name + ": footer length " + std::to_string(footer_len) +
                           " exceeds the file size " + std::to_string(size));
  }
  std::string footer(footer_len, '\0');
  CAIRN_RETURN_IF_ERROR(file_->ReadAt(size - 8 - footer_len, footer_len, footer.data()));
  Result<FileMetaData> meta = DecodeFileMetaData(footer);
  if (!meta.ok()) return meta.status().WithPrefix(name);
  meta_ = std::move(meta).value();
  if (meta_.has_encryption_algorithm) {
    return Status::Unsupported(name + ": encrypted Parquet files are not supported");
  }
  Status st = BuildColumns(meta_, &columns_, &num_leaves_);
  if (!st.ok()) return Status::Corrupt(name + ": " + st.message());
  return Status::Ok();
}

Status FileReader::CheckRowGroup(int g) const {
  const RowGroup& rg = meta_.row_groups[static_cast<size_t>(g)];
  const std::string where = file_->name() + ": row group " + std::to_string(g);
  if (rg.num_rows < 0) return Status::Corrupt(where + ": negative row count");
  if (static_cast<int64_t>(rg.columns.size()) != num_leaves_) {
    return Status::Corrupt(where + " has " + std::to_string(rg.columns.size()) +
                           " column chunks, the schema " + std::to_string(num_leaves_));
  }
  for (int c : read_) {
    const FileColumn& col = columns_[static_cast<size_t>(c)];
    const ColumnChunk& chunk = rg.columns[static_cast<size_t>(col.leaf)];
    const std::string ctx = Context(g, col);
    if (chunk.has_crypto_metadata) {
      return Status::Unsupported(ctx + ": encrypted columns are not supported");
    }
    if (chunk.file_path) {
      return Status::Unsupported(ctx + ": column data in another file ('" + *chunk.file_path +
                                 "') is not supported");
    }
    if (!chunk.meta_data) return Status::Corrupt(ctx + ": column chunk without metadata");
    const ColumnMetaData& m = *chunk.meta_data;
    if (m.type != col.physical) {
      return Status::Corrupt(ctx + ": chunk type " + PhysicalTypeName(m.type) +
                             " differs from the schema's " + PhysicalTypeName(col.physical));
    }
    if (m.codec != Codec::kUncompressed && m.codec != Codec::kSnappy && m.codec != Codec::kZstd) {
      return Status::Unsupported(ctx + ": compression " + CodecName(m.codec) +
                                 " is not supported (UNCOMPRESSED, SNAPPY and ZSTD are)");
    }
    if (m.num_values != rg.num_rows) {
      return Status::Corrupt(ctx + ": " + std::to_string(m.num_values) +
                             " values in a row group of " + std::to_string(rg.num_rows) + " rows");
    }
  }
  return Status::Ok();
}

Status FileReader::Plan(const ReadOptions& options) {
  const std::string& name = file_->name();
  threads_ = ResolveThreads(options.num_threads);
  batch_rows_ = std::max<int64_t>(1, options.batch_rows);

  auto find = [&](const std::string& col) -> int {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].name == col) return static_cast<int>(i);
    }
    return -1;
  };
  auto usable = [&](int c) -> Status {
    const FileColumn& col = columns_[static_cast<size_t>(c)];
    if (!col.unsupported.empty()) {
      return Status::Unsupported(name + ": column '" + col.name + "': " + col.unsupported);
    }
    return Status::Ok();
  };

  const std::vector<std::string>& wanted = options.parquet.columns;
  if (wanted.empty()) {
    for (size_t i = 0; i < columns_.size(); ++i) read_.push_back(static_cast<int>(i));
  } else {
    for (const std::string& w : wanted) {
      int c = find(w);
      if (c < 0) {
        std::string msg(name);
        msg.append(": no column '").append(w).append("'");
        return Status::NotFound(std::move(msg));
      }
      if (std::find(read_.begin(), read_.end(), c) != read_.end()) {
        std::string msg(name);
        msg.append(": column '").append(w).append("' selected twice");
        return Status::InvalidArgument(std::move(msg));
      }
      read_.push_back(c);
    }
  }
  for (int c : read_) CAIRN_RETURN_IF_ERROR(usable(c));
  num_output_ = read_.size();

  // Bind the filters to the file's readable columns, and read any column they need.
  Schema file_schema;
  for (const FileColumn& col : columns_) {
    if (col.unsupported.empty()) file_schema.AddField({col.name, col.type, col.optional});
  }
  for (Predicate p : options.parquet.filters) {
    int c = find(p.column);
    if (c >= 0) CAIRN_RETURN_IF_ERROR(usable(c));
    Status st = BindPredicate(file_schema, &p);
    if (!st.ok()) return st.WithPrefix(name);
    if (std::find(read_.begin(), read_.end(), c) == read_.end()) read_.push_back(c);
    filters_.push_back(std::move(p));
  }
  for (size_t i = 0; i < read_.size(); ++i) {
    const FileColumn& col = columns_[static_cast<size_t>(read_[i])];
    Field f{col.name, col.type, col.optional};
    if (i < num_output_) schema_.AddField(f);
    read_schema_.AddField(f);
  }

  stats_.row_groups = static_cast<int64_t>(meta_.row_groups.size());
  for (size_t g = 0; g < meta_.row_groups.size(); ++g) {
    CAIRN_RETURN_IF_ERROR(CheckRowGroup(static_cast<int>(g)));
    const RowGroup& rg = meta_.row_groups[g];
    bool skip = false;
    for (const Predicate& p : filters_) {
      const FileColumn& col = columns_[static_cast<size_t>(find(p.column))];
      if (StatisticsRuleOut(col, rg.columns[static_cast<size_t>(col.leaf)], rg.num_rows, p)) {
        skip = true;
        break;
      }
    }
    if (skip) {
      ++stats_.row_groups_skipped;
      stats_.rows_skipped += rg.num_rows;
    } else {
      groups_.push_back(static_cast<int>(g));
    }
  }
  return Status::Ok();
}

Status FileReader::OpenChunk(int g, const FileColumn& col, ChunkDecoder* decoder) const {
  const RowGroup& rg = meta_.row_groups[static_cast<size_t>(g)];
  const ColumnMetaData& m = *rg.columns[static_cast<size_t>(col.leaf)].meta_data;
  std::string ctx = Context(g, col);
  // The chunk starts at its dictionary page when it has one. Some writers store 0 for an
  // absent dictionary offset, so only an offset before the first data page counts.
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start) {
    start = *m.dictionary_page_offset;
  }
  const int64_t size = m.total_compressed_size;
  const int64_t file_size = file_->size();
  if (start < 4 || size <= 0 || start > file_size || size > file_size - start) {
    return Status::Corrupt(ctx + ": column chunk [" + std::to_string(start) + ", +" +
                           std::to_string(size) + ") lies outside the file");
  }
  ByteBuffer bytes = pool_.Take(size);
  uint8_t* data = bytes.Resize(size);
  CAIRN_RETURN_IF_ERROR(file_->ReadAt(start, size, reinterpret_cast<char*>(data)));
  decoder->Init(&col, m.codec, std::move(bytes), &pool_, rg.num_rows, std::move(ctx));
  return Status::Ok();
}

Status FileReader::StartRowGroup(int g) {
  decoders_.clear();
  decoders_.resize(read_.size());
  std::vector<Status> status(read_.size());
  ParallelFor(static_cast<int64_t>(read_.size()), threads_, [&](int64_t i) {
    const FileColumn& col = columns_[static_cast<size_t>(read_[static_cast<size_t>(i)])];
    status[static_cast<size_t>(i)] = OpenChunk(g, col, &decoders_[static_cast<size_t>(i)]);
  });
  for (const Status& st : status) CAIRN_RETURN_IF_ERROR(st);
  group_rows_left_ = meta_.row_groups[static_cast<size_t>(g)].num_rows;
  return Status::Ok();
}

Result<bool> FileReader::Next(Table* batch) {
  started_ = true;
  for (;;) {
    if (group_rows_left_ == 0) {
      decoders_.clear();  // release the previous row group's bytes
      if (next_group_ == groups_.size()) return false;
      CAIRN_RETURN_IF_ERROR(StartRowGroup(groups_[next_group_++]));
      continue;
    }
    const int64_t n = std::min(batch_rows_, group_rows_left_);
    Table t(read_schema_);
    std::vector<Status> status(read_.size());
    ParallelFor(static_cast<int64_t>(read_.size()), threads_, [&](int64_t i) {
      const size_t c = static_cast<size_t>(i);
      Column* col = &t.mutable_column(static_cast<int>(i));
      PrepareColumn(columns_[static_cast<size_t>(read_[c])], n, col);
      status[c] = decoders_[c].Read(n, col, 0);
      if (status[c].ok()) FinishColumn(col);
    });
    for (const Status& st : status) CAIRN_RETURN_IF_ERROR(st);
    CAIRN_RETURN_IF_ERROR(t.SyncRowCount());
    group_rows_left_ -= n;
    if (!filters_.empty()) {
      std::vector<uint8_t> mask;
      CAIRN_RETURN_IF_ERROR(MatchRows(t, filters_, &mask));
      if (std::find(mask.begin(), mask.end(), 1) == mask.end()) continue;
      if (std::find(mask.begin(), mask.end(), 0) != mask.end()) t = TakeRows(t, mask);
    }
    if (read_.size() != num_output_) {
      std::vector<Column> cols;
      for (size_t i = 0; i < num_output_; ++i) {
        cols.push_back(std::move(t.mutable_column(static_cast<int>(i))));
      }
      CAIRN_ASSIGN_OR_RETURN(t, Table::Make(schema_, std::move(cols)));
    }
    *batch = std::move(t);
    return true;
  }
}

Result<Table> FileReader::ReadAll() {
  // The direct path decodes every chunk straight into its final place; after streaming has
  // begun, or with filters, the generic loop over Next is as good.
  if (started_ || !filters_.empty()) return TableReader::ReadAll();

  const size_t num_groups = groups_.size();
  const size_t num_cols = read_.size();
  std::vector<int64_t> first_row(num_groups + 1, 0);
  bool overflow = false;
  for (size_t i = 0; i < num_groups; ++i) {
    const int64_t rows = meta_.row_groups[static_cast<size_t>(groups_[i])].num_rows;
    overflow |= rows < 0 || __builtin_add_overflow(first_row[i], rows, &first_row[i + 1]);
  }
  const int64_t total = first_row[num_groups];
  // The direct path allocates every column for the row count the footer claims. A forged
  // footer could claim billions of rows in a tiny file, so implausible counts take the
  // streaming path, which only allocates what the pages really hold (and reports the
  // mismatch). Legitimate files this dense (long runs of nulls or of one dictionary value)
  // read correctly there too, only more slowly.
  constexpr int64_t kMaxRowsPerByte = 64;
  if (overflow || total > kMaxRowsPerByte * file_->size() + (int64_t{1} << 16)) {
    return TableReader::ReadAll();
  }
  started_ = true;
  next_group_ = groups_.size();

  // Sizing a column touches its memory for the first time, which costs about as much as
  // filling it: one column per task.
  Table out(schema_);
  ParallelFor(static_cast<int64_t>(num_cols), threads_, [&](int64_t c) {
    PrepareColumn(columns_[static_cast<size_t>(read_[static_cast<size_t>(c)])], total,
                  &out.mutable_column(static_cast<int>(c)));
  });

  // Fixed-width values are decoded straight into their rows. Strings are appended to their
  // column, so a group's can only be placed after every earlier group's: their chunks are
  // read and decompressed in parallel like the others, then decoded in group order by an
  // InOrderPlacer, each byte copied once.
  const int64_t tasks = static_cast<int64_t>(num_groups * num_cols);
  std::vector<Status> status(static_cast<size_t>(tasks));
  std::vector<std::unique_ptr<InOrderPlacer>> placers(num_cols);
  std::vector<uint8_t> failed(num_cols, 0);  // a string column stops at its first error
  // Bytes reserved ahead for a string column are a guess from the rows placed so far; the
  // cap keeps a few long strings in a forged file from reserving far more than it can hold.
  const int64_t reserve_limit = kMaxRowsPerByte * file_->size();
  for (size_t c = 0; c < num_cols; ++c) {
    if (columns_[static_cast<size_t>(read_[c])].type.kind != TypeKind::kString) continue;
    placers[c] = std::make_unique<InOrderPlacer>(
        num_groups, [&, c](size_t gi, std::unique_ptr<ChunkDecoder> decoder) {
          if (decoder == nullptr || failed[c] != 0) {
            failed[c] = 1;
            return;
          }
          Column* col = &out.mutable_column(static_cast<int>(c));
          const int64_t rows = first_row[gi + 1] - first_row[gi];
          ReserveChars(col, first_row[gi], rows, total, reserve_limit);
          Status st = decoder->Read(rows, col, first_row[gi]);
          if (!st.ok()) failed[c] = 1;
          status[gi * num_cols + c] = std::move(st);
        });
  }
  ParallelFor(tasks, threads_, [&](int64_t task) {
    const size_t gi = static_cast<size_t>(task) / num_cols;
    const size_t c = static_cast<size_t>(task) % num_cols;
    const FileColumn& info = columns_[static_cast<size_t>(read_[c])];
    auto decoder = std::make_unique<ChunkDecoder>();
    Status st = OpenChunk(groups_[gi], info, decoder.get());
    if (placers[c] != nullptr) {
      if (st.ok()) st = decoder->Inflate();
      if (!st.ok()) decoder.reset();
      status[static_cast<size_t>(task)] = std::move(st);
      placers[c]->Deliver(gi, std::move(decoder));
      return;
    }
    if (st.ok()) {
      st = decoder->Read(first_row[gi + 1] - first_row[gi],
                         &out.mutable_column(static_cast<int>(c)), first_row[gi]);
    }
    status[static_cast<size_t>(task)] = std::move(st);
  });
  for (const Status& st : status) CAIRN_RETURN_IF_ERROR(st);
  ParallelFor(static_cast<int64_t>(num_cols), threads_,
              [&](int64_t c) { FinishColumn(&out.mutable_column(static_cast<int>(c))); });
  CAIRN_RETURN_IF_ERROR(out.SyncRowCount());
  return out;
}

Result<std::unique_ptr<FileReader>> FileReader::Open(std::unique_ptr<RandomAccessFile> file,
                                                     const ReadOptions& options) {
  std::unique_ptr<FileReader> r(new FileReader());
  r->file_ = std::move(file);
  CAIRN_RETURN_IF_ERROR(r->ReadFooter());
  CAIRN_RETURN_IF_ERROR(r->Plan(options));
  return r;
}

}  // namespace
}  // namespace parquet

Result<std::unique_ptr<ParquetReader>> OpenParquetFileReader(std::unique_ptr<RandomAccessFile> file,
                                                             const ReadOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<parquet::FileReader> r,
                         parquet::FileReader::Open(std::move(file), options));
  return std::unique_ptr<ParquetReader>(std::move(r));
}

Result<std::unique_ptr<TableReader>> OpenParquetReader(std::unique_ptr<RandomAccessFile> file,
                                                       const ReadOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<ParquetReader> r,
                         OpenParquetFileReader(std::move(file), options));
  return std::unique_ptr<TableReader>(std::move(r));
}

}  // namespace cairn::table
