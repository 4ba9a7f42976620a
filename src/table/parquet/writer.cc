// The Parquet writer: buffers up to one row group, encodes its column chunks in parallel
// (dictionary or PLAIN pages, definition levels, compression, statistics), appends them to
// the file in column order, and writes the Thrift footer on Close. See docs/parquet-writer.md.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/thread_pool.h"
#include "table/parquet.h"
#include "table/parquet/compression.h"
#include "table/parquet/encoding.h"
#include "table/parquet/format.h"
#include "table/parquet/metadata.h"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.1.0"
#endif

namespace cairn::table {
namespace {

namespace pq = parquet;

constexpr std::string_view kMagic = "PAR1";
constexpr std::string_view kCreatedBy = "cairn version " CAIRN_VERSION " (build cairn)";
// A page's row count and byte sizes are i32 in the page header.
constexpr int64_t kMaxPageRows = int64_t{1} << 30;
constexpr int64_t kMaxPageBytes = int64_t{1} << 30;
// Dictionaries up to this many entries are kept even where PLAIN would be smaller.
constexpr int64_t kAlwaysKeptDictionary = 1024;

pq::PhysicalType PhysicalTypeOf(TypeKind kind) {
  switch (kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      return pq::PhysicalType::kInt64;
    case TypeKind::kFloat64:
      return pq::PhysicalType::kDouble;
    case TypeKind::kBool:
      return pq::PhysicalType::kBoolean;
    case TypeKind::kString:
      return pq::PhysicalType::kByteArray;
  }
  return pq::PhysicalType::kByteArray;
}

pq::SchemaElement LeafElement(const Field& field) {
  pq::SchemaElement e;
  e.type = PhysicalTypeOf(field.type.kind);
  e.repetition_type = field.nullable ? pq::Repetition::kOptional : pq::Repetition::kRequired;
  e.name = field.name;
  if (field.type.kind == TypeKind::kString) {
    e.converted_type = pq::ConvertedType::kUtf8;
    e.logical_type.kind = pq::LogicalType::Kind::kString;
  } else if (field.type.kind == TypeKind::kTimestamp) {
    e.logical_type.kind = pq::LogicalType::Kind::kTimestamp;
    e.logical_type.is_adjusted_to_utc = true;
    switch (field.type.unit) {
      case TimeUnit::kMilli:
        e.logical_type.time_unit = 1;
        e.converted_type = pq::ConvertedType::kTimestampMillis;
        break;
      case TimeUnit::kMicro:
        e.logical_type.time_unit = 2;
        e.converted_type = pq::ConvertedType::kTimestampMicros;
        break;
      case TimeUnit::kNano:
        // No converted type exists for nanoseconds. The instant is still UTC, but readers
        // (DuckDB among them) turn UTC-adjusted nanoseconds into microsecond timestamps with
        // time zone and drop the last three digits; unadjusted ones keep every digit.
        e.logical_type.is_adjusted_to_utc = false;
        e.logical_type.time_unit = 3;
        break;
    }
  }
  return e;
}

pq::Codec CodecOf(Compression c) {
  switch (c) {
    case Compression::kUncompressed:
      return pq::Codec::kUncompressed;
    case Compression::kSnappy:
      return pq::Codec::kSnappy;
    case Compression::kZstd:
      return pq::Codec::kZstd;
  }
  return pq::Codec::kUncompressed;
}

std::string Le64(const void* v) { return std::string(static_cast<const char*>(v), 8); }

void AppendLe32(uint32_t v, std::string* out) {
  char b[4];
  std::memcpy(b, &v, 4);
  out->append(b, 4);
}

/// Bytes of rows [offset, offset + rows) of `col` in memory: the cost of encoding them.
int64_t InputBytes(const Column& col, int64_t offset, int64_t rows) {
  switch (col.type().kind) {
    case TypeKind::kString: {
      const int64_t* o = col.offsets().data() + offset;
      return 4 * rows + (o[rows] - o[0]);
    }
    case TypeKind::kBool:
      return rows;
    default:
      return 8 * rows;
  }
}

/// One column chunk as encoded, before it has a place in the file: offsets in `meta` are
/// relative to the start of `bytes`.
struct EncodedChunk {
  std::string bytes;
  pq::ColumnMetaData meta;
  Status status;
};

/// Encodes the chunks of one column, keeping scratch buffers across row groups. Each
/// instance is used by one thread at a time.
class ColumnChunkEncoder {
 public:
  ColumnChunkEncoder(const Field& field, const ParquetWriteOptions& options)
      : field_(field),
        options_(options),
        physical_(PhysicalTypeOf(field.type.kind)),
        codec_(CodecOf(options.compression)),
        page_bits_(std::clamp<int64_t>(options.page_bytes, 1, kMaxPageBytes) * 8) {}

  /// Encodes rows [offset, offset + rows) of `col` into *out.
  Status Encode(const Column& col, int64_t offset, int64_t rows, EncodedChunk* out);

 private:
  enum class ValueEncoding { kPlain, kDictionary };

  void Gather(const Column& col, int64_t offset, int64_t rows);
  void BuildDictionary();
  void ComputeStatistics(pq::Statistics* stats) const;
  int64_t PageEnd(int64_t row, int64_t end, int64_t value, ValueEncoding enc) const;
  void EncodeValues(int64_t value, int64_t count, ValueEncoding enc, std::string* out) const;
  Status WriteDictionaryPage(EncodedChunk* out);
  Status WritePage(int64_t row, int64_t rows, int64_t value, int64_t values, ValueEncoding enc,
                   EncodedChunk* out);
  Status AppendPage(pq::PageHeader* header, std::string_view levels, std::string_view body,
                    int64_t uncompressed_body, EncodedChunk* out);

  const Field field_;
  const ParquetWriteOptions options_;
  const pq::PhysicalType physical_;
  const pq::Codec codec_;
  const int64_t page_bits_;

  // The chunk being encoded. Non-null values are dense: value k of the chunk is ints_[k],
  // doubles_[k], bools_[k] or chars_[offsets_[k], offsets_[k + 1]).
  const uint8_t* validity_ = nullptr;  // null = every row valid
  int64_t num_values_ = 0;
  const int64_t* ints_ = nullptr;
  const double* doubles_ = nullptr;
  const uint8_t* bools_ = nullptr;
  const char* chars_ = nullptr;
  const int64_t* offsets_ = nullptr;

  // Dictionary state of the chunk: the first dict_values_ values are dictionary-encoded.
  int64_t dict_values_ = 0;
  int bit_width_ = 0;
  std::vector<uint32_t> indices_;
  // The dictionary in use for the chunk (at most one is set). The builders keep their memory
  // from chunk to chunk.
  const pq::Fixed64Dictionary* dict_fixed_ = nullptr;
  const pq::ByteArrayDictionary* dict_strings_ = nullptr;
  pq::Fixed64Dictionary fixed_builder_;
  pq::ByteArrayDictionary strings_builder_;

  // Scratch reused across chunks.
  std::vector<int64_t> gathered_ints_;
  std::vector<double> gathered_doubles_;
  std::vector<uint8_t> gathered_bools_;
  std::vector<int64_t> gathered_offsets_;
  std::string gathered_chars_;
  std::string levels_;
  std::string body_;
  std::string compressed_;
  std::string header_;
};

void ColumnChunkEncoder::Gather(const Column& col, int64_t offset, int64_t rows) {
  const size_t off = static_cast<size_t>(offset);
  validity_ = col.validity().empty() ? nullptr : col.validity().data() + off;
  if (validity_ != nullptr) {
    int64_t valid = 0;
    for (int64_t i = 0; i < rows; ++i) valid += validity_[i] != 0 ? 1 : 0;
    if (valid == rows) validity_ = nullptr;
    num_values_ = valid;
  } else {
    num_values_ = rows;
  }
  const uint8_t* v = validity_;
  switch (field_.type.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp: {
      const int64_t* src = col.ints().data() + off;
      if (v == nullptr) {
        ints_ = src;
        return;
      }
      // Branch-free compaction: always store, advance only past valid rows.
      gathered_ints_.resize(static_cast<size_t>(rows));
      int64_t k = 0;
      for (int64_t i = 0; i < rows; ++i) {
        gathered_ints_[static_cast<size_t>(k)] = src[i];
        k += v[i] != 0 ? 1 : 0;
      }
      ints_ = gathered_ints_.data();
      return;
    }
    case TypeKind::kFloat64: {
      const double* src = col.doubles().data() + off;
      if (v == nullptr) {
        doubles_ = src;
        return;
      }
      gathered_doubles_.resize(static_cast<size_t>(rows));
      int64_t k = 0;
      for (int64_t i = 0; i < rows; ++i) {
        gathered_doubles_[static_cast<size_t>(k)] = src[i];
        k += v[i] != 0 ? 1 : 0;
      }
      doubles_ = gathered_doubles_.data();
      return;
    }
    case TypeKind::kBool: {
      const uint8_t* src = col.bools().data() + off;
      if (v == nullptr) {
        bools_ = src;
        return;
      }
      gathered_bools_.resize(static_cast<size_t>(rows));
      int64_t k = 0;
      for (int64_t i = 0; i < rows; ++i) {
        gathered_bools_[static_cast<size_t>(k)] = src[i];
        k += v[i] != 0 ? 1 : 0;
      }
      bools_ = gathered_bools_.data();
      return;
    }
    case TypeKind::kString: {
      const int64_t* src = col.offsets().data() + off;
      if (v == nullptr) {
        chars_ = col.chars().data();
        offsets_ = src;
        return;
      }
      // Copy rather than rely on null slots being empty strings.
      gathered_chars_.clear();
      gathered_offsets_.clear();
      gathered_offsets_.push_back(0);
      for (int64_t i = 0; i < rows; ++i) {
        if (v[i] == 0) continue;
        gathered_chars_.append(col.chars().data() + src[i],
                               static_cast<size_t>(src[i + 1] - src[i]));
        gathered_offsets_.push_back(static_cast<int64_t>(gathered_chars_.size()));
      }
      chars_ = gathered_chars_.data();
      offsets_ = gathered_offsets_.data();
      return;
    }
  }
}

void ColumnChunkEncoder::BuildDictionary() {
  dict_values_ = 0;
  dict_fixed_ = nullptr;
  dict_strings_ = nullptr;
  if (!options_.dictionary || physical_ == pq::PhysicalType::kBoolean || num_values_ == 0) {
    return;
  }
  indices_.resize(static_cast<size_t>(num_values_));
  uint32_t* idx = indices_.data();
  int64_t k = 0;
  int64_t dict_size = 0;
  if (physical_ == pq::PhysicalType::kByteArray) {
    pq::ByteArrayDictionary& d = strings_builder_;
    d.Clear();
    for (; k < num_values_; ++k) {
      std::string_view s(chars_ + offsets_[k], static_cast<size_t>(offsets_[k + 1] - offsets_[k]));
      int32_t i = d.Insert(s);
      if (i < 0) break;
      idx[k] = static_cast<uint32_t>(i);
    }
    dict_size = d.size();
    dict_strings_ = &d;
  } else {
    pq::Fixed64Dictionary& d = fixed_builder_;
    d.Clear();
    if (physical_ == pq::PhysicalType::kDouble) {
      for (; k < num_values_; ++k) {
        int32_t i = d.Insert(std::bit_cast<uint64_t>(doubles_[k]));
        if (i < 0) break;
        idx[k] = static_cast<uint32_t>(i);
      }
    } else {
      for (; k < num_values_; ++k) {
        int32_t i = d.Insert(static_cast<uint64_t>(ints_[k]));
        if (i < 0) break;
        idx[k] = static_cast<uint32_t>(i);
      }
    }
    dict_size = d.size();
    dict_fixed_ = &d;
  }
  // Bit width 0 is legal for a one-entry dictionary, but not every reader accepts it.
  bit_width_ =
      std::max(1, pq::BitWidth(static_cast<uint64_t>(std::max<int64_t>(dict_size, 1) - 1)));
  // A large dictionary must pay for itself: its page plus the packed indices must be smaller
  // than the same values in PLAIN, which nearly unique columns are not. Small ones cost little
  // and are always kept, so low-cardinality columns look the same in every row group.
  int64_t plain_bytes = 0;
  int64_t dict_page_bytes = 0;
  if (physical_ == pq::PhysicalType::kByteArray) {
    plain_bytes = 4 * k + (offsets_[k] - offsets_[0]);
    dict_page_bytes = dict_strings_->plain_bytes();
  } else {
    plain_bytes = 8 * k;
    dict_page_bytes = 8 * dict_size;
  }
  int64_t dict_bytes = dict_page_bytes + (k * bit_width_ + 7) / 8;
  if (dict_size > kAlwaysKeptDictionary && dict_bytes >= plain_bytes) {
    dict_strings_ = nullptr;
    dict_fixed_ = nullptr;
    k = 0;
  }
  dict_values_ = k;
}

void ColumnChunkEncoder::ComputeStatistics(pq::Statistics* stats) const {
  switch (physical_) {
    case pq::PhysicalType::kInt64: {
      if (num_values_ == 0) return;
      int64_t lo = ints_[0], hi = ints_[0];
      for (int64_t k = 1; k < num_values_; ++k) {
        lo = std::min(lo, ints_[k]);
        hi = std::max(hi, ints_[k]);
      }
      stats->min_value = Le64(&lo);
      stats->max_value = Le64(&hi);
      stats->min = stats->min_value;
      stats->max = stats->max_value;
      return;
    }
    case pq::PhysicalType::kDouble: {
      double lo = std::numeric_limits<double>::infinity();
      double hi = -std::numeric_limits<double>::infinity();
      bool any = false;
      for (int64_t k = 0; k < num_values_; ++k) {
        double x = doubles_[k];
        if (std::isnan(x)) continue;
        any = true;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      if (!any) return;
      // Zeros compare equal whatever their sign, so readers widen the bounds to cover both.
      if (lo == 0.0) lo = -0.0;
      if (hi == 0.0) hi = 0.0;
      stats->min_value = Le64(&lo);
      stats->max_value = Le64(&hi);
      stats->min = stats->min_value;
      stats->max = stats->max_value;
      return;
    }
    case pq::PhysicalType::kBoolean: {
      if (num_values_ == 0) return;
      bool any_true = false, any_false = false;
      for (int64_t k = 0; k < num_values_; ++k) {
        if (bools_[k] != 0) {
          any_true = true;
        } else {
          any_false = true;
        }
      }
      stats->min_value = std::string(1, any_false ? '\0' : '\1');
      stats->max_value = std::string(1, any_true ? '\1' : '\0');
      return;
    }
    case pq::PhysicalType::kByteArray: {
      if (num_values_ == 0) return;
      // std::string_view compares bytes as unsigned char, the BYTE_ARRAY order.
      auto value = [&](int64_t k) {
        return std::string_view(chars_ + offsets_[k],
                                static_cast<size_t>(offsets_[k + 1] - offsets_[k]));
      };
      std::string_view lo, hi;
      if (dict_strings_ != nullptr && dict_values_ == num_values_) {
        // Every value is in the dictionary: scan its distinct entries only.
        lo = hi = dict_strings_->Value(0);
        for (int32_t i = 1; i < dict_strings_->size(); ++i) {
          std::string_view s = dict_strings_->Value(i);
          if (s < lo) lo = s;
          if (s > hi) hi = s;
        }
      } else {
        lo = hi = value(0);
        for (int64_t k = 1; k < num_values_; ++k) {
          std::string_view s = value(k);
          if (s < lo) lo = s;
          if (s > hi) hi = s;
        }
      }
      stats->min_value = std::string(lo);
      stats->max_value = std::string(hi);
      return;
    }
    default:
      return;
  }
}

// The end of the page that starts at `row` (value index `value`) within a segment ending at
// `end`: the page holds about page_bytes of encoded values.
int64_t ColumnChunkEncoder::PageEnd(int64_t row, int64_t end, int64_t value,
                                    ValueEncoding enc) const {
  int64_t limit = std::min(end, row + kMaxPageRows);
  int64_t fixed_bits = 0;
  if (enc == ValueEncoding::kDictionary) {
    fixed_bits = bit_width_;
  } else if (physical_ == pq::PhysicalType::kBoolean) {
    fixed_bits = 1;
  } else if (physical_ != pq::PhysicalType::kByteArray) {
    fixed_bits = 64;
  }
  if (fixed_bits > 0 && validity_ == nullptr) {
    int64_t count = (page_bits_ + fixed_bits - 1) / fixed_bits;
    return std::min(limit, row + count);
  }
  int64_t bits = 0;
  int64_t r = row;
  while (r < limit && bits < page_bits_) {
    if (validity_ == nullptr || validity_[r] != 0) {
      bits += fixed_bits > 0 ? fixed_bits : 8 * (4 + offsets_[value + 1] - offsets_[value]);
      ++value;
    }
    ++r;
  }
  return r;
}

void ColumnChunkEncoder::EncodeValues(int64_t value, int64_t count, ValueEncoding enc,
                                      std::string* out) const {
  if (enc == ValueEncoding::kDictionary) {
    out->push_back(static_cast<char>(bit_width_));
    pq::EncodeRleBitPacked(indices_.data() + value, count, bit_width_, out);
    return;
  }
  switch (physical_) {
    case pq::PhysicalType::kInt64:
      pq::EncodePlainFixed64(ints_ + value, count, out);
      return;
    case pq::PhysicalType::kDouble:
      pq::EncodePlainFixed64(doubles_ + value, count, out);
      return;
    case pq::PhysicalType::kBoolean:
      pq::EncodePlainBooleans(bools_ + value, count, out);
      return;
    case pq::PhysicalType::kByteArray:
      pq::EncodePlainByteArrays(chars_, offsets_ + value, count, out);
      return;
    default:
      return;
  }
}

Status ColumnChunkEncoder::AppendPage(pq::PageHeader* header, std::string_view levels,
                                      std::string_view body, int64_t uncompressed_body,
                                      EncodedChunk* out) {
  int64_t uncompressed = static_cast<int64_t>(levels.size()) + uncompressed_body;
  int64_t compressed = static_cast<int64_t>(levels.size() + body.size());
  if (uncompressed > std::numeric_limits<int32_t>::max() ||
      compressed > std::numeric_limits<int32_t>::max()) {
    return Status::InvalidArgument("column '" + field_.name + "': a page of " +
                                   std::to_string(uncompressed) +
                                   " bytes exceeds the Parquet limit of 2 GiB");
  }
  header->uncompressed_page_size = static_cast<int32_t>(uncompressed);
  header->compressed_page_size = static_cast<int32_t>(compressed);
  header_.clear();
  pq::EncodePageHeader(*header, &header_);
  out->bytes.append(header_);
  out->bytes.append(levels);
  out->bytes.append(body);
  int64_t header_size = static_cast<int64_t>(header_.size());
  out->meta.total_uncompressed_size += header_size + uncompressed;
  out->meta.total_compressed_size += header_size + compressed;
  return Status::Ok();
}

Status ColumnChunkEncoder::WriteDictionaryPage(EncodedChunk* out) {
  body_.clear();
  int64_t entries = 0;
  if (dict_strings_ != nullptr) {
    dict_strings_->EncodePlain(&body_);
    entries = dict_strings_->size();
  } else {
    dict_fixed_->EncodePlain(&body_);
    entries = dict_fixed_->size();
  }
  pq::PageHeader header;
  header.type = pq::PageType::kDictionaryPage;
  header.dictionary_page_header.emplace();
  header.dictionary_page_header->num_values = static_cast<int32_t>(entries);
  header.dictionary_page_header->encoding = pq::Encoding::kPlain;
  out->meta.dictionary_page_offset = static_cast<int64_t>(out->bytes.size());
  if (codec_ == pq::Codec::kUncompressed) {
    return AppendPage(&header, {}, body_, static_cast<int64_t>(body_.size()), out);
  }
  CAIRN_RETURN_IF_ERROR(pq::Compress(codec_, body_, options_.zstd_level, &compressed_));
  return AppendPage(&header, {}, compressed_, static_cast<int64_t>(body_.size()), out);
}

Status ColumnChunkEncoder::WritePage(int64_t row, int64_t rows, int64_t value, int64_t values,
                                     ValueEncoding enc, EncodedChunk* out) {
  const bool optional = field_.nullable;
  const uint8_t* levels_validity = validity_ == nullptr ? nullptr : validity_ + row;
  const pq::Encoding encoding =
      enc == ValueEncoding::kDictionary ? pq::Encoding::kRleDictionary : pq::Encoding::kPlain;
  pq::PageHeader header;
  if (!options_.data_page_v2) {
    // v1: [4-byte length][definition levels][values], compressed as a whole.
    body_.clear();
    if (optional) {
      body_.append(4, '\0');
      pq::EncodeDefinitionLevels(levels_validity, rows, &body_);
      uint32_t len = static_cast<uint32_t>(body_.size() - 4);
      std::memcpy(body_.data(), &len, 4);
    }
    EncodeValues(value, values, enc, &body_);
    header.type = pq::PageType::kDataPage;
    header.data_page_header.emplace();
    header.data_page_header->num_values = static_cast<int32_t>(rows);
    header.data_page_header->encoding = encoding;
    header.data_page_header->definition_level_encoding = pq::Encoding::kRle;
    header.data_page_header->repetition_level_encoding = pq::Encoding::kRle;
    if (codec_ == pq::Codec::kUncompressed) {
      return AppendPage(&header, {}, body_, static_cast<int64_t>(body_.size()), out);
    }
    CAIRN_RETURN_IF_ERROR(pq::Compress(codec_, body_, options_.zstd_level, &compressed_));
    return AppendPage(&header, {}, compressed_, static_cast<int64_t>(body_.size()), out);
  }
  // v2: levels stay uncompressed and carry no length prefix (the header has it).
  levels_.clear();
  if (optional) pq::EncodeDefinitionLevels(levels_validity, rows, &levels_);
  body_.clear();
  EncodeValues(value, values, enc, &body_);
  header.type = pq::PageType::kDataPageV2;
  header.data_page_header_v2.emplace();
  pq::DataPageHeaderV2& v2 = *header.data_page_header_v2;
  v2.num_values = static_cast<int32_t>(rows);
  v2.num_nulls = static_cast<int32_t>(rows - values);
  v2.num_rows = static_cast<int32_t>(rows);
  v2.encoding = encoding;
  v2.definition_levels_byte_length = static_cast<int32_t>(levels_.size());
  v2.repetition_levels_byte_length = 0;
  v2.is_compressed = codec_ != pq::Codec::kUncompressed;
  if (codec_ == pq::Codec::kUncompressed) {
    return AppendPage(&header, levels_, body_, static_cast<int64_t>(body_.size()), out);
  }
  CAIRN_RETURN_IF_ERROR(pq::Compress(codec_, body_, options_.zstd_level, &compressed_));
  return AppendPage(&header, levels_, compressed_, static_cast<int64_t>(body_.size()), out);
}

Status ColumnChunkEncoder::Encode(const Column& col, int64_t offset, int64_t rows,
                                  EncodedChunk* out) {
  out->bytes.clear();
  out->meta = pq::ColumnMetaData();
  out->meta.type = physical_;
  out->meta.path_in_schema = {field_.name};
  out->meta.codec = codec_;
  out->meta.num_values = rows;

  Gather(col, offset, rows);
  BuildDictionary();
  if (options_.statistics) {
    pq::Statistics stats;
    stats.null_count = rows - num_values_;
    ComputeStatistics(&stats);
    out->meta.statistics = std::move(stats);
  }

  // Rows [0, dict_rows) are dictionary-encoded, the rest PLAIN: a dictionary that outgrows
  // its limits stops growing and the chunk continues in PLAIN.
  int64_t dict_rows = 0;
  if (dict_values_ > 0) {
    if (validity_ == nullptr) {
      dict_rows = dict_values_;
    } else if (dict_values_ == num_values_) {
      dict_rows = rows;
    } else {
      int64_t seen = 0;
      while (seen < dict_values_) seen += validity_[dict_rows++] != 0 ? 1 : 0;
      // Null rows right after the last dictionary value join the PLAIN part.
    }
    CAIRN_RETURN_IF_ERROR(WriteDictionaryPage(out));
  }

  bool wrote_plain = false;
  out->meta.data_page_offset = static_cast<int64_t>(out->bytes.size());
  int64_t value = 0;
  auto write_segment = [&](int64_t begin, int64_t end, ValueEncoding enc) -> Status {
    int64_t row = begin;
    while (row < end) {
      int64_t page_end = PageEnd(row, end, value, enc);
      int64_t values = page_end - row;
      if (validity_ != nullptr) {
        values = 0;
        for (int64_t r = row; r < page_end; ++r) values += validity_[r] != 0 ? 1 : 0;
      }
      CAIRN_RETURN_IF_ERROR(WritePage(row, page_end - row, value, values, enc, out));
      value += values;
      row = page_end;
    }
    return Status::Ok();
  };
  CAIRN_RETURN_IF_ERROR(write_segment(0, dict_rows, ValueEncoding::kDictionary));
  if (dict_rows < rows) {
    wrote_plain = true;
    CAIRN_RETURN_IF_ERROR(write_segment(dict_rows, rows, ValueEncoding::kPlain));
  }

  // Encodings in ascending order of their Thrift value.
  if (dict_values_ > 0 || wrote_plain) out->meta.encodings.push_back(pq::Encoding::kPlain);
  if (field_.nullable) out->meta.encodings.push_back(pq::Encoding::kRle);
  if (dict_values_ > 0) out->meta.encodings.push_back(pq::Encoding::kRleDictionary);
  return Status::Ok();
}

class ParquetTableWriter final : public TableWriter {
 public:
  ParquetTableWriter(std::unique_ptr<WritableFile> file, Schema schema, const WriteOptions& options)
      : file_(std::move(file)),
        schema_(std::move(schema)),
        options_(options.parquet),
        buffer_(schema_) {
    for (const Field& f : schema_.fields()) {
      encoders_.push_back(std::make_unique<ColumnChunkEncoder>(f, options_));
    }
    chunks_.resize(encoders_.size());
    // Workers live as long as the writer: fresh threads per row group would each start with
    // cold allocator arenas and give memory back to the kernel between row groups.
    int threads = std::min(ResolveThreads(options.num_threads), schema_.num_fields());
    if (threads > 1) pool_ = std::make_unique<ThreadPool>(threads);
    meta_.version = options_.data_page_v2 ? 2 : 1;
    meta_.schema.resize(1);
    meta_.schema[0].name = "schema";
    meta_.schema[0].num_children = schema_.num_fields();
    for (const Field& f : schema_.fields()) meta_.schema.push_back(LeafElement(f));
    meta_.created_by = std::string(kCreatedBy);
    meta_.num_column_orders = schema_.num_fields();
  }

  ~ParquetTableWriter() override = default;

  Status Start() { return Fail(file_->Append(kMagic)); }

  Status Write(const Table& batch) override {
    CAIRN_RETURN_IF_ERROR(Usable());
    CAIRN_RETURN_IF_ERROR(CheckBatch(batch));
    const int64_t group = options_.row_group_rows;
    int64_t pos = 0;
    const int64_t n = batch.num_rows();
    while (pos < n) {
      if (buffer_.num_rows() == 0 &&
          (n - pos >= group ||
           (options_.row_groups_follow_batches && n - pos >= std::max<int64_t>(1, group / 16)))) {
        // A whole row group is at hand: encode it straight from the batch.
        const int64_t take = std::min(group, n - pos);
        CAIRN_RETURN_IF_ERROR(Fail(FlushRowGroup(batch, pos, take)));
        pos += take;
        continue;
      }
      int64_t take = std::min(n - pos, group - buffer_.num_rows());
      for (int i = 0; i < batch.num_columns(); ++i) {
        buffer_.mutable_column(i).AppendFrom(batch.column(i), pos, take);
      }
      CAIRN_RETURN_IF_ERROR(Fail(buffer_.SyncRowCount()));
      pos += take;
      if (buffer_.num_rows() == group) CAIRN_RETURN_IF_ERROR(FlushBuffer());
    }
    rows_accepted_ += n;
    return Status::Ok();
  }

  Status Close() override {
    CAIRN_RETURN_IF_ERROR(Usable());
    closed_ = true;
    if (buffer_.num_rows() > 0) CAIRN_RETURN_IF_ERROR(FlushBuffer());
    std::string footer;
    pq::EncodeFileMetaData(meta_, &footer);
    AppendLe32(static_cast<uint32_t>(footer.size()), &footer);
    footer.append(kMagic);
    CAIRN_RETURN_IF_ERROR(Fail(file_->Append(footer)));
    return Fail(file_->Close());
  }

 private:
  Status Usable() const {
    if (!failed_.ok()) return failed_;
    if (closed_) return Status::InvalidArgument(file_->name() + ": writer is already closed");
    return Status::Ok();
  }

  // Remembers the first failure: after it the file is in an unknown state and every later
  // call reports it.
  Status Fail(Status s) {
    if (!s.ok() && failed_.ok()) failed_ = s;
    return s;
  }

  Status CheckBatch(const Table& batch) const {
    const Schema& got = batch.schema();
    if (got.num_fields() != schema_.num_fields()) {
      return Status::InvalidArgument(file_->name() + ": batch has " +
                                     std::to_string(got.num_fields()) + " columns, the file " +
                                     std::to_string(schema_.num_fields()));
    }
    for (int i = 0; i < schema_.num_fields(); ++i) {
      const Field& want = schema_.field(i);
      const Field& have = got.field(i);
      if (have.name != want.name || have.type != want.type) {
        return Status::InvalidArgument(file_->name() + ": column " + std::to_string(i) +
                                       " of the batch is '" + have.name + "' " +
                                       have.type.ToString() + ", the file's is '" + want.name +
                                       "' " + want.type.ToString());
      }
      const Column& col = batch.column(i);
      if (!want.nullable && col.has_nulls()) {
        int64_t row = 0;
        while (row < col.size() && col.IsValid(row)) ++row;
        return Status::InvalidArgument(file_->name() + ": column '" + want.name +
                                       "' is not nullable but the row at index " +
                                       std::to_string(rows_accepted_ + row) + " is null");
      }
    }
    return Status::Ok();
  }

  Status FlushBuffer() {
    Status s = Fail(FlushRowGroup(buffer_, 0, buffer_.num_rows()));
    buffer_.Clear();
    return s;
  }

  Status FlushRowGroup(const Table& table, int64_t offset, int64_t rows) {
    // Hand out the biggest columns first so that a wide string column does not start last
    // and leave the other threads idle. Each column lands in its own slot, so the bytes do not
    // depend on the number of threads or the order the columns finish in.
    order_.resize(encoders_.size());
    for (size_t c = 0; c < order_.size(); ++c) {
      order_[c] = {-InputBytes(table.column(static_cast<int>(c)), offset, rows), c};
    }
    std::sort(order_.begin(), order_.end());
    auto encode = [this, &table, offset, rows](size_t c) {
      chunks_[c].status =
          encoders_[c]->Encode(table.column(static_cast<int>(c)), offset, rows, &chunks_[c]);
    };
    if (pool_ == nullptr) {
      for (const auto& [cost, c] : order_) encode(c);
    } else {
      for (const auto& [cost, c] : order_) pool_->Submit([&encode, c = c] { encode(c); });
      pool_->Wait();
    }
    pq::RowGroup rg;
    rg.num_rows = rows;
    rg.file_offset = file_->position();
    int64_t compressed_total = 0;
    for (size_t c = 0; c < chunks_.size(); ++c) {
      EncodedChunk& chunk = chunks_[c];
      if (!chunk.status.ok()) return chunk.status.WithPrefix(file_->name());
      const int64_t start = file_->position();
      pq::ColumnChunk cc;
      cc.file_offset = start;
      cc.meta_data = std::move(chunk.meta);
      pq::ColumnMetaData& m = *cc.meta_data;
      m.data_page_offset += start;
      if (m.dictionary_page_offset) *m.dictionary_page_offset += start;
      rg.total_byte_size += m.total_uncompressed_size;
      compressed_total += m.total_compressed_size;
      CAIRN_RETURN_IF_ERROR(file_->Append(chunk.bytes));
      rg.columns.push_back(std::move(cc));
    }
    rg.total_compressed_size = compressed_total;
    if (meta_.row_groups.size() <= static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
      rg.ordinal = static_cast<int16_t>(meta_.row_groups.size());
    }
    meta_.num_rows += rows;
    meta_.row_groups.push_back(std::move(rg));
    return Status::Ok();
  }

  std::unique_ptr<WritableFile> file_;
  Schema schema_;
  ParquetWriteOptions options_;
  Table buffer_;
  std::vector<std::unique_ptr<ColumnChunkEncoder>> encoders_;
  std::vector<EncodedChunk> chunks_;
  std::vector<std::pair<int64_t, size_t>> order_;  // (-input bytes, column) per row group
  std::unique_ptr<ThreadPool> pool_;               // null: encode on the calling thread
  pq::FileMetaData meta_;
  int64_t rows_accepted_ = 0;
  bool closed_ = false;
  Status failed_;
};

}  // namespace

Result<std::unique_ptr<TableWriter>> OpenParquetWriter(std::unique_ptr<WritableFile> file,
                                                       const Schema& schema,
                                                       const WriteOptions& options) {
  const ParquetWriteOptions& o = options.parquet;
  if (schema.num_fields() == 0) {
    return Status::InvalidArgument(file->name() + ": a Parquet file needs at least one column");
  }
  if (o.row_group_rows < 1 || o.row_group_rows > std::numeric_limits<int32_t>::max()) {
    return Status::InvalidArgument(file->name() + ": row_group_rows must be in [1, 2^31), got " +
                                   std::to_string(o.row_group_rows));
  }
  if (o.page_bytes < 1) {
    return Status::InvalidArgument(file->name() + ": page_bytes must be positive, got " +
                                   std::to_string(o.page_bytes));
  }
  auto writer = std::make_unique<ParquetTableWriter>(std::move(file), schema, options);
  CAIRN_RETURN_IF_ERROR(writer->Start());
  return std::unique_ptr<TableWriter>(std::move(writer));
}

}  // namespace cairn::table
