// Thrift compact protocol encoding of the Parquet footer and page headers.
//
// The compact protocol in brief: a struct is a sequence of fields, each introduced by a header
// byte whose high nibble is the difference to the previous field id (1..15) and whose low
// nibble is the value type; larger or negative differences use a type byte followed by the
// zigzag varint field id. A 0 byte ends the struct. Integers are zigzag varints, binary is a
// varint length plus the bytes, booleans live in the field header's type nibble, and a list
// starts with a byte holding the size (< 15) and the element type, or 0xF and the type
// followed by a varint size.

#include <cstdint>
#include <string>
#include <vector>

#include "table/parquet/metadata.h"

namespace cairn::table::parquet {
namespace {

// Compact protocol type codes.
constexpr uint8_t kTypeTrue = 1;
constexpr uint8_t kTypeFalse = 2;
constexpr uint8_t kTypeByte = 3;
constexpr uint8_t kTypeI16 = 4;
constexpr uint8_t kTypeI32 = 5;
constexpr uint8_t kTypeI64 = 6;
constexpr uint8_t kTypeBinary = 8;
constexpr uint8_t kTypeList = 9;
constexpr uint8_t kTypeStruct = 12;

class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  void BeginStruct() {
    saved_ids_.push_back(last_id_);
    last_id_ = 0;
  }
  void EndStruct() {
    out_->push_back('\0');
    last_id_ = saved_ids_.back();
    saved_ids_.pop_back();
  }

  void FieldI16(int16_t id, int16_t v) {
    FieldHeader(id, kTypeI16);
    Varint(ZigZag(v));
  }
  void FieldI32(int16_t id, int32_t v) {
    FieldHeader(id, kTypeI32);
    Varint(ZigZag(v));
  }
  void FieldI64(int16_t id, int64_t v) {
    FieldHeader(id, kTypeI64);
    Varint(ZigZag(v));
  }
  void FieldByte(int16_t id, int8_t v) {
    FieldHeader(id, kTypeByte);
    out_->push_back(static_cast<char>(v));
  }
  void FieldBool(int16_t id, bool v) { FieldHeader(id, v ? kTypeTrue : kTypeFalse); }
  void FieldBinary(int16_t id, std::string_view v) {
    FieldHeader(id, kTypeBinary);
    Binary(v);
  }
  /// Starts a struct-valued field; the caller writes its fields and calls EndStruct.
  void FieldStruct(int16_t id) {
    FieldHeader(id, kTypeStruct);
    BeginStruct();
  }
  /// An empty struct-valued field (union members such as StringType).
  void FieldEmptyStruct(int16_t id) {
    FieldStruct(id);
    EndStruct();
  }
  /// Starts a list-valued field of `size` elements of `elem_type`.
  void FieldList(int16_t id, uint8_t elem_type, size_t size) {
    FieldHeader(id, kTypeList);
    if (size < 15) {
      out_->push_back(static_cast<char>((size << 4) | elem_type));
    } else {
      out_->push_back(static_cast<char>(0xF0 | elem_type));
      Varint(size);
    }
  }

  // List elements.
  void ElemI32(int32_t v) { Varint(ZigZag(v)); }
  void ElemBinary(std::string_view v) { Binary(v); }

 private:
  static uint64_t ZigZag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void Binary(std::string_view v) {
    Varint(v.size());
    out_->append(v);
  }
  void FieldHeader(int16_t id, uint8_t type) {
    int delta = id - last_id_;
    if (delta > 0 && delta <= 15) {
      out_->push_back(static_cast<char>((delta << 4) | type));
    } else {
      out_->push_back(static_cast<char>(type));
      Varint(ZigZag(id));
    }
    last_id_ = id;
  }

  std::string* out_;
  int16_t last_id_ = 0;
  std::vector<int16_t> saved_ids_;
};

void WriteKeyValues(CompactWriter& w, int16_t id, const std::vector<KeyValue>& kvs) {
  if (kvs.empty()) return;
  w.FieldList(id, kTypeStruct, kvs.size());
  for (const KeyValue& kv : kvs) {
    w.BeginStruct();
    w.FieldBinary(1, kv.key);
    if (kv.value) w.FieldBinary(2, *kv.value);
    w.EndStruct();
  }
}

void WriteStatistics(CompactWriter& w, int16_t id, const Statistics& s) {
  w.FieldStruct(id);
  if (s.max) w.FieldBinary(1, *s.max);
  if (s.min) w.FieldBinary(2, *s.min);
  if (s.null_count) w.FieldI64(3, *s.null_count);
  if (s.distinct_count) w.FieldI64(4, *s.distinct_count);
  if (s.max_value) w.FieldBinary(5, *s.max_value);
  if (s.min_value) w.FieldBinary(6, *s.min_value);
  w.EndStruct();
}

// TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS, each an empty struct.
void WriteTimeUnit(CompactWriter& w, int16_t id, int32_t unit) {
  w.FieldStruct(id);
  w.FieldEmptyStruct(static_cast<int16_t>(unit));
  w.EndStruct();
}

void WriteLogicalType(CompactWriter& w, int16_t id, const LogicalType& t) {
  using Kind = LogicalType::Kind;
  switch (t.kind) {
    case Kind::kNone:
    case Kind::kOther:
      // Nothing to write: absent, or a member whose parameters were not kept.
      return;
    case Kind::kString:
    case Kind::kMap:
    case Kind::kList:
    case Kind::kEnum:
    case Kind::kDate:
    case Kind::kUnknown:
    case Kind::kJson:
    case Kind::kBson:
    case Kind::kUuid:
    case Kind::kFloat16:
      w.FieldStruct(id);
      w.FieldEmptyStruct(static_cast<int16_t>(t.kind));
      w.EndStruct();
      return;
    case Kind::kDecimal:
      w.FieldStruct(id);
      w.FieldStruct(static_cast<int16_t>(t.kind));
      w.FieldI32(1, t.scale);
      w.FieldI32(2, t.precision);
      w.EndStruct();
      w.EndStruct();
      return;
    case Kind::kTime:
    case Kind::kTimestamp:
      w.FieldStruct(id);
      w.FieldStruct(static_cast<int16_t>(t.kind));
      w.FieldBool(1, t.is_adjusted_to_utc);
      WriteTimeUnit(w, 2, t.time_unit);
      w.EndStruct();
      w.EndStruct();
      return;
    case Kind::kInteger:
      w.FieldStruct(id);
      w.FieldStruct(static_cast<int16_t>(t.kind));
      w.FieldByte(1, static_cast<int8_t>(t.bit_width));
      w.FieldBool(2, t.is_signed);
      w.EndStruct();
      w.EndStruct();
      return;
  }
}

void WriteSchemaElement(CompactWriter& w, const SchemaElement& e) {
  w.BeginStruct();
  if (e.type) w.FieldI32(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w.FieldI32(2, *e.type_length);
  if (e.repetition_type) w.FieldI32(3, static_cast<int32_t>(*e.repetition_type));
  w.FieldBinary(4, e.name);
  if (e.num_children) w.FieldI32(5, *e.num_children);
  if (e.converted_type) w.FieldI32(6, static_cast<int32_t>(*e.converted_type));
  if (e.scale) w.FieldI32(7, *e.scale);
  if (e.precision) w.FieldI32(8, *e.precision);
  if (e.field_id) w.FieldI32(9, *e.field_id);
  WriteLogicalType(w, 10, e.logical_type);
  w.EndStruct();
}

void WriteColumnMetaData(CompactWriter& w, int16_t id, const ColumnMetaData& m) {
  w.FieldStruct(id);
  w.FieldI32(1, static_cast<int32_t>(m.type));
  w.FieldList(2, kTypeI32, m.encodings.size());
  for (Encoding e : m.encodings) w.ElemI32(static_cast<int32_t>(e));
  w.FieldList(3, kTypeBinary, m.path_in_schema.size());
  for (const std::string& p : m.path_in_schema) w.ElemBinary(p);
  w.FieldI32(4, static_cast<int32_t>(m.codec));
  w.FieldI64(5, m.num_values);
  w.FieldI64(6, m.total_uncompressed_size);
  w.FieldI64(7, m.total_compressed_size);
  WriteKeyValues(w, 8, m.key_value_metadata);
  w.FieldI64(9, m.data_page_offset);
  if (m.index_page_offset) w.FieldI64(10, *m.index_page_offset);
  if (m.dictionary_page_offset) w.FieldI64(11, *m.dictionary_page_offset);
  if (m.statistics) WriteStatistics(w, 12, *m.statistics);
  w.EndStruct();
}

void WriteRowGroup(CompactWriter& w, const RowGroup& rg) {
  w.BeginStruct();
  w.FieldList(1, kTypeStruct, rg.columns.size());
  for (const ColumnChunk& c : rg.columns) {
    w.BeginStruct();
    if (c.file_path) w.FieldBinary(1, *c.file_path);
    w.FieldI64(2, c.file_offset);
    if (c.meta_data) WriteColumnMetaData(w, 3, *c.meta_data);
    w.EndStruct();
  }
  w.FieldI64(2, rg.total_byte_size);
  w.FieldI64(3, rg.num_rows);
  if (rg.file_offset) w.FieldI64(5, *rg.file_offset);
  if (rg.total_compressed_size) w.FieldI64(6, *rg.total_compressed_size);
  if (rg.ordinal) w.FieldI16(7, *rg.ordinal);
  w.EndStruct();
}

}  // namespace

void EncodeFileMetaData(const FileMetaData& meta, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, meta.version);
  w.FieldList(2, kTypeStruct, meta.schema.size());
  for (const SchemaElement& e : meta.schema) WriteSchemaElement(w, e);
  w.FieldI64(3, meta.num_rows);
  w.FieldList(4, kTypeStruct, meta.row_groups.size());
  for (const RowGroup& rg : meta.row_groups) WriteRowGroup(w, rg);
  WriteKeyValues(w, 5, meta.key_value_metadata);
  if (meta.created_by) w.FieldBinary(6, *meta.created_by);
  if (meta.num_column_orders > 0) {
    // ColumnOrder is a union whose member 1 is the empty TypeDefinedOrder struct.
    w.FieldList(7, kTypeStruct, static_cast<size_t>(meta.num_column_orders));
    for (int32_t i = 0; i < meta.num_column_orders; ++i) {
      w.BeginStruct();
      w.FieldEmptyStruct(1);
      w.EndStruct();
    }
  }
  w.EndStruct();
}

void EncodePageHeader(const PageHeader& h, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, static_cast<int32_t>(h.type));
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.crc) w.FieldI32(4, *h.crc);
  if (h.data_page_header) {
    const DataPageHeader& d = *h.data_page_header;
    w.FieldStruct(5);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    w.FieldI32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.FieldI32(4, static_cast<int32_t>(d.repetition_level_encoding));
    if (d.statistics) WriteStatistics(w, 5, *d.statistics);
    w.EndStruct();
  }
  if (h.dictionary_page_header) {
    const DictionaryPageHeader& d = *h.dictionary_page_header;
    w.FieldStruct(7);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.FieldBool(3, *d.is_sorted);
    w.EndStruct();
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2& d = *h.data_page_header_v2;
    w.FieldStruct(8);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.num_nulls);
    w.FieldI32(3, d.num_rows);
    w.FieldI32(4, static_cast<int32_t>(d.encoding));
    w.FieldI32(5, d.definition_levels_byte_length);
    w.FieldI32(6, d.repetition_levels_byte_length);
    w.FieldBool(7, d.is_compressed);
    if (d.statistics) WriteStatistics(w, 8, *d.statistics);
    w.EndStruct();
  }
  w.EndStruct();
}

}  // namespace cairn::table::parquet
