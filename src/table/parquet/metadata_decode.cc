// Thrift compact protocol decoding of the Parquet footer and page headers.
//
// The compact protocol in brief: a struct is a sequence of field headers, each one byte
// holding a field-id delta (high nibble; 0 means a zigzag varint id follows) and a type
// (low nibble), ended by a STOP byte (0). Integers are zigzag varints, binaries a varint
// length plus bytes, booleans live in the field header's type nibble, and lists start with a
// byte holding the size (high nibble, 15 = a varint size follows) and the element type.

#include <cstring>
#include <string>

#include "table/parquet/metadata.h"

namespace cairn::table::parquet {
namespace {

enum class WireType : uint8_t {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

constexpr int kMaxDepth = 64;

// A cursor over compact-protocol bytes. Every read checks the remaining length; the first
// failure sets error_ and later reads return zeros, so decoding code can read field after
// field and check ok() once per struct.
class CompactReader {
 public:
  explicit CompactReader(std::string_view bytes)
      : pos_(reinterpret_cast<const uint8_t*>(bytes.data())),
        end_(pos_ + bytes.size()),
        begin_(pos_) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  int64_t consumed() const { return pos_ - begin_; }
  int64_t remaining() const { return end_ - pos_; }

  void Fail(const std::string& what) {
    if (error_.empty()) error_ = what + " at byte " + std::to_string(consumed());
  }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= end_) {
        Fail("truncated varint");
        return 0;
      }
      uint8_t b = *pos_++;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    Fail("varint longer than 10 bytes");
    return 0;
  }
  int64_t ZigZag64() {
    uint64_t u = Varint();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }
  int32_t ZigZag32() {
    int64_t v = ZigZag64();
    if (v < INT32_MIN || v > INT32_MAX) {
      Fail("i32 out of range");
      return 0;
    }
    return static_cast<int32_t>(v);
  }
  uint8_t Byte() {
    if (pos_ >= end_) {
      Fail("truncated input");
      return 0;
    }
    return *pos_++;
  }
  std::string Binary() {
    uint64_t n = Varint();
    if (!ok()) return {};
    if (n > static_cast<uint64_t>(remaining())) {
      Fail("binary length " + std::to_string(n) + " past the end");
      return {};
    }
    std::string s(reinterpret_cast<const char*>(pos_), static_cast<size_t>(n));
    pos_ += n;
    return s;
  }
  void SkipBytes(uint64_t n) {
    if (n > static_cast<uint64_t>(remaining())) {
      Fail("truncated input");
      pos_ = end_;
      return;
    }
    pos_ += n;
  }

  // Reads a list header; returns the element count (0 on error) and the element type.
  int64_t ListHeader(WireType* elem) {
    uint8_t h = Byte();
    *elem = static_cast<WireType>(h & 0x0F);
    uint64_t n = h >> 4;
    if (n == 15) n = Varint();
    // Every element takes at least one byte, so a larger count is malformed; this also
    // bounds what callers reserve.
    if (n > static_cast<uint64_t>(remaining())) {
      Fail("list of " + std::to_string(n) + " elements past the end");
      return 0;
    }
    return ok() ? static_cast<int64_t>(n) : 0;
  }

  // Skips one value of `type`.
  void Skip(WireType type, int depth) {
    if (depth > kMaxDepth) {
      Fail("nesting deeper than 64");
      return;
    }
    switch (type) {
      case WireType::kTrue:
      case WireType::kFalse:
        return;  // the value lives in the field header
      case WireType::kByte:
        Byte();
        return;
      case WireType::kI16:
      case WireType::kI32:
      case WireType::kI64:
        Varint();
        return;
      case WireType::kDouble:
        SkipBytes(8);
        return;
      case WireType::kBinary:
        SkipBytes(Varint());
        return;
      case WireType::kList:
      case WireType::kSet: {
        WireType elem;
        int64_t n = ListHeader(&elem);
        for (int64_t i = 0; i < n && ok(); ++i) SkipElement(elem, depth + 1);
        return;
      }
      case WireType::kMap: {
        uint64_t n = Varint();
        if (n == 0 || !ok()) return;
        if (n > static_cast<uint64_t>(remaining())) {
          Fail("map past the end");
          return;
        }
        uint8_t kv = Byte();
        auto key = static_cast<WireType>(kv >> 4);
        auto value = static_cast<WireType>(kv & 0x0F);
        for (uint64_t i = 0; i < n && ok(); ++i) {
          SkipElement(key, depth + 1);
          SkipElement(value, depth + 1);
        }
        return;
      }
      case WireType::kStruct:
        SkipStruct(depth + 1);
        return;
      case WireType::kStop:
        break;
    }
    Fail("unknown field type " + std::to_string(static_cast<int>(type)));
  }

  // Inside lists and maps, booleans take one byte each.
  void SkipElement(WireType type, int depth) {
    if (type == WireType::kTrue || type == WireType::kFalse) {
      Byte();
    } else {
      Skip(type, depth);
    }
  }

  void SkipStruct(int depth) {
    ReadStruct(depth, [&](int16_t, WireType type) { Skip(type, depth); });
  }

  // Calls field(id, type) for every field of a struct; field must consume the value.
  template <typename F>
  void ReadStruct(int depth, F&& field) {
    if (depth > kMaxDepth) {
      Fail("nesting deeper than 64");
      return;
    }
    int16_t last_id = 0;
    while (ok()) {
      uint8_t h = Byte();
      if (!ok()) return;
      auto type = static_cast<WireType>(h & 0x0F);
      if (type == WireType::kStop) return;
      int delta = h >> 4;
      int32_t id = delta != 0 ? last_id + delta : ZigZag32();
      if (!ok()) return;
      if (id < INT16_MIN || id > INT16_MAX) {
        Fail("field id out of range");
        return;
      }
      last_id = static_cast<int16_t>(id);
      field(last_id, type);
    }
  }

  // Typed field readers that check the wire type first.
  int32_t I32(WireType type) {
    if (type != WireType::kI32 && type != WireType::kI16 && type != WireType::kByte) {
      Fail("expected an i32 field");
      return 0;
    }
    if (type == WireType::kByte) return static_cast<int8_t>(Byte());
    return ZigZag32();
  }
  int64_t I64(WireType type) {
    if (type != WireType::kI64 && type != WireType::kI32 && type != WireType::kI16) {
      Fail("expected an i64 field");
      return 0;
    }
    return ZigZag64();
  }
  bool Bool(WireType type) {
    if (type == WireType::kTrue) return true;
    if (type == WireType::kFalse) return false;
    Fail("expected a bool field");
    return false;
  }
  std::string String(WireType type) {
    if (type != WireType::kBinary) {
      Fail("expected a binary field");
      return {};
    }
    return Binary();
  }
  bool ExpectStruct(WireType type) {
    if (type != WireType::kStruct) {
      Fail("expected a struct field");
      return false;
    }
    return true;
  }
  // Reads a list header for a list field whose elements must be `want`.
  int64_t List(WireType type, WireType want) {
    if (type != WireType::kList && type != WireType::kSet) {
      Fail("expected a list field");
      return 0;
    }
    WireType elem;
    int64_t n = ListHeader(&elem);
    if (!ok()) return 0;
    if (n > 0 && elem != want && !(want == WireType::kI32 && elem == WireType::kI16)) {
      Fail("unexpected list element type");
      return 0;
    }
    return n;
  }

 private:
  const uint8_t* pos_;
  const uint8_t* end_;
  const uint8_t* begin_;
  std::string error_;
};

void ReadStatistics(CompactReader& r, int depth, Statistics* s) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        s->max = r.String(t);
        break;
      case 2:
        s->min = r.String(t);
        break;
      case 3:
        s->null_count = r.I64(t);
        break;
      case 4:
        s->distinct_count = r.I64(t);
        break;
      case 5:
        s->max_value = r.String(t);
        break;
      case 6:
        s->min_value = r.String(t);
        break;
      default:
        r.Skip(t, depth);
    }
  });
}

void ReadKeyValue(CompactReader& r, int depth, KeyValue* kv) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    if (id == 1) {
      kv->key = r.String(t);
    } else if (id == 2) {
      kv->value = r.String(t);
    } else {
      r.Skip(t, depth);
    }
  });
}

void ReadKeyValues(CompactReader& r, WireType t, int depth, std::vector<KeyValue>* out) {
  int64_t n = r.List(t, WireType::kStruct);
  for (int64_t i = 0; i < n && r.ok(); ++i) {
    out->emplace_back();
    ReadKeyValue(r, depth + 1, &out->back());
  }
}

// TimeUnit union: {1: MILLIS, 2: MICROS, 3: NANOS}, each an empty struct.
void ReadTimeUnit(CompactReader& r, int depth, int32_t* unit) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    if (id >= 1 && id <= 3) *unit = id;
    r.Skip(t, depth);
  });
}

void ReadLogicalType(CompactReader& r, int depth, LogicalType* lt) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    if (!r.ExpectStruct(t)) return;
    switch (id) {
      case 5:
        lt->kind = LogicalType::Kind::kDecimal;
        r.ReadStruct(depth + 1, [&](int16_t fid, WireType ft) {
          if (fid == 1) {
            lt->scale = r.I32(ft);
          } else if (fid == 2) {
            lt->precision = r.I32(ft);
          } else {
            r.Skip(ft, depth + 1);
          }
        });
        return;
      case 7:
      case 8:
        lt->kind = id == 7 ? LogicalType::Kind::kTime : LogicalType::Kind::kTimestamp;
        r.ReadStruct(depth + 1, [&](int16_t fid, WireType ft) {
          if (fid == 1) {
            lt->is_adjusted_to_utc = r.Bool(ft);
          } else if (fid == 2 && r.ExpectStruct(ft)) {
            ReadTimeUnit(r, depth + 2, &lt->time_unit);
          } else if (fid != 2) {
            r.Skip(ft, depth + 1);
          }
        });
        return;
      case 10:
        lt->kind = LogicalType::Kind::kInteger;
        r.ReadStruct(depth + 1, [&](int16_t fid, WireType ft) {
          if (fid == 1) {
            lt->bit_width = r.I32(ft);
          } else if (fid == 2) {
            lt->is_signed = r.Bool(ft);
          } else {
            r.Skip(ft, depth + 1);
          }
        });
        return;
      case 1:
      case 2:
      case 3:
      case 4:
      case 6:
      case 11:
      case 12:
      case 13:
      case 14:
      case 15:
        lt->kind = static_cast<LogicalType::Kind>(id);
        break;
      default:
        lt->kind = LogicalType::Kind::kOther;
        break;
    }
    r.SkipStruct(depth + 1);
  });
}

void ReadSchemaElement(CompactReader& r, int depth, SchemaElement* e) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        e->type = static_cast<PhysicalType>(r.I32(t));
        break;
      case 2:
        e->type_length = r.I32(t);
        break;
      case 3:
        e->repetition_type = static_cast<Repetition>(r.I32(t));
        break;
      case 4:
        e->name = r.String(t);
        break;
      case 5:
        e->num_children = r.I32(t);
        break;
      case 6:
        e->converted_type = static_cast<ConvertedType>(r.I32(t));
        break;
      case 7:
        e->scale = r.I32(t);
        break;
      case 8:
        e->precision = r.I32(t);
        break;
      case 9:
        e->field_id = r.I32(t);
        break;
      case 10:
        if (r.ExpectStruct(t)) ReadLogicalType(r, depth + 1, &e->logical_type);
        break;
      default:
        r.Skip(t, depth);
    }
  });
}

void ReadColumnMetaData(CompactReader& r, int depth, ColumnMetaData* m) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        m->type = static_cast<PhysicalType>(r.I32(t));
        break;
      case 2: {
        int64_t n = r.List(t, WireType::kI32);
        for (int64_t i = 0; i < n && r.ok(); ++i) {
          m->encodings.push_back(static_cast<Encoding>(r.ZigZag32()));
        }
        break;
      }
      case 3: {
        int64_t n = r.List(t, WireType::kBinary);
        for (int64_t i = 0; i < n && r.ok(); ++i) m->path_in_schema.push_back(r.Binary());
        break;
      }
      case 4:
        m->codec = static_cast<Codec>(r.I32(t));
        break;
      case 5:
        m->num_values = r.I64(t);
        break;
      case 6:
        m->total_uncompressed_size = r.I64(t);
        break;
      case 7:
        m->total_compressed_size = r.I64(t);
        break;
      case 8:
        ReadKeyValues(r, t, depth, &m->key_value_metadata);
        break;
      case 9:
        m->data_page_offset = r.I64(t);
        break;
      case 10:
        m->index_page_offset = r.I64(t);
        break;
      case 11:
        m->dictionary_page_offset = r.I64(t);
        break;
      case 12:
        if (r.ExpectStruct(t)) {
          m->statistics.emplace();
          ReadStatistics(r, depth + 1, &*m->statistics);
        }
        break;
      default:
        r.Skip(t, depth);
    }
  });
}

void ReadColumnChunk(CompactReader& r, int depth, ColumnChunk* c) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        c->file_path = r.String(t);
        break;
      case 2:
        c->file_offset = r.I64(t);
        break;
      case 3:
        if (r.ExpectStruct(t)) {
          c->meta_data.emplace();
          ReadColumnMetaData(r, depth + 1, &*c->meta_data);
        }
        break;
      case 8:
      case 9:
        c->has_crypto_metadata = true;
        r.Skip(t, depth);
        break;
      default:
        r.Skip(t, depth);
    }
  });
}

void ReadRowGroup(CompactReader& r, int depth, RowGroup* g) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1: {
        int64_t n = r.List(t, WireType::kStruct);
        g->columns.reserve(static_cast<size_t>(n));
        for (int64_t i = 0; i < n && r.ok(); ++i) {
          g->columns.emplace_back();
          ReadColumnChunk(r, depth + 1, &g->columns.back());
        }
        break;
      }
      case 2:
        g->total_byte_size = r.I64(t);
        break;
      case 3:
        g->num_rows = r.I64(t);
        break;
      case 5:
        g->file_offset = r.I64(t);
        break;
      case 6:
        g->total_compressed_size = r.I64(t);
        break;
      case 7: {
        int32_t v = r.I32(t);
        if (v >= INT16_MIN && v <= INT16_MAX) g->ordinal = static_cast<int16_t>(v);
        break;
      }
      default:
        r.Skip(t, depth);
    }
  });
}

void ReadDataPageHeader(CompactReader& r, int depth, DataPageHeader* h) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        h->num_values = r.I32(t);
        break;
      case 2:
        h->encoding = static_cast<Encoding>(r.I32(t));
        break;
      case 3:
        h->definition_level_encoding = static_cast<Encoding>(r.I32(t));
        break;
      case 4:
        h->repetition_level_encoding = static_cast<Encoding>(r.I32(t));
        break;
      case 5:
        if (r.ExpectStruct(t)) {
          h->statistics.emplace();
          ReadStatistics(r, depth + 1, &*h->statistics);
        }
        break;
      default:
        r.Skip(t, depth);
    }
  });
}

void ReadDictionaryPageHeader(CompactReader& r, int depth, DictionaryPageHeader* h) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        h->num_values = r.I32(t);
        break;
      case 2:
        h->encoding = static_cast<Encoding>(r.I32(t));
        break;
      case 3:
        h->is_sorted = r.Bool(t);
        break;
      default:
        r.Skip(t, depth);
    }
  });
}

void ReadDataPageHeaderV2(CompactReader& r, int depth, DataPageHeaderV2* h) {
  r.ReadStruct(depth, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        h->num_values = r.I32(t);
        break;
      case 2:
        h->num_nulls = r.I32(t);
        break;
      case 3:
        h->num_rows = r.I32(t);
        break;
      case 4:
        h->encoding = static_cast<Encoding>(r.I32(t));
        break;
      case 5:
        h->definition_levels_byte_length = r.I32(t);
        break;
      case 6:
        h->repetition_levels_byte_length = r.I32(t);
        break;
      case 7:
        h->is_compressed = r.Bool(t);
        break;
      case 8:
        if (r.ExpectStruct(t)) {
          h->statistics.emplace();
          ReadStatistics(r, depth + 1, &*h->statistics);
        }
        break;
      default:
        r.Skip(t, depth);
    }
  });
}

}  // namespace

Result<FileMetaData> DecodeFileMetaData(std::string_view bytes) {
  CompactReader r(bytes);
  FileMetaData m;
  bool has_schema = false;
  r.ReadStruct(0, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        m.version = r.I32(t);
        break;
      case 2: {
        has_schema = true;
        int64_t n = r.List(t, WireType::kStruct);
        m.schema.reserve(static_cast<size_t>(n));
        for (int64_t i = 0; i < n && r.ok(); ++i) {
          m.schema.emplace_back();
          ReadSchemaElement(r, 1, &m.schema.back());
        }
        break;
      }
      case 3:
        m.num_rows = r.I64(t);
        break;
      case 4: {
        int64_t n = r.List(t, WireType::kStruct);
        m.row_groups.reserve(static_cast<size_t>(n));
        for (int64_t i = 0; i < n && r.ok(); ++i) {
          m.row_groups.emplace_back();
          ReadRowGroup(r, 1, &m.row_groups.back());
        }
        break;
      }
      case 5:
        ReadKeyValues(r, t, 0, &m.key_value_metadata);
        break;
      case 6:
        m.created_by = r.String(t);
        break;
      case 7: {
        int64_t n = r.List(t, WireType::kStruct);
        m.num_column_orders = static_cast<int32_t>(n);
        for (int64_t i = 0; i < n && r.ok(); ++i) r.SkipStruct(1);
        break;
      }
      case 8:
        m.has_encryption_algorithm = true;
        r.Skip(t, 0);
        break;
      default:
        r.Skip(t, 0);
    }
  });
  if (!r.ok()) return Status::Corrupt("malformed file metadata: " + r.error());
  if (!has_schema) return Status::Corrupt("malformed file metadata: no schema");
  return m;
}

Result<PageHeader> DecodePageHeader(std::string_view bytes, int64_t* consumed) {
  CompactReader r(bytes);
  PageHeader h;
  bool has_type = false;
  r.ReadStruct(0, [&](int16_t id, WireType t) {
    switch (id) {
      case 1:
        has_type = true;
        h.type = static_cast<PageType>(r.I32(t));
        break;
      case 2:
        h.uncompressed_page_size = r.I32(t);
        break;
      case 3:
        h.compressed_page_size = r.I32(t);
        break;
      case 4:
        h.crc = r.I32(t);
        break;
      case 5:
        if (r.ExpectStruct(t)) {
          h.data_page_header.emplace();
          ReadDataPageHeader(r, 1, &*h.data_page_header);
        }
        break;
      case 7:
        if (r.ExpectStruct(t)) {
          h.dictionary_page_header.emplace();
          ReadDictionaryPageHeader(r, 1, &*h.dictionary_page_header);
        }
        break;
      case 8:
        if (r.ExpectStruct(t)) {
          h.data_page_header_v2.emplace();
          ReadDataPageHeaderV2(r, 1, &*h.data_page_header_v2);
        }
        break;
      default:
        r.Skip(t, 0);
    }
  });
  if (!r.ok()) return Status::Corrupt("malformed page header: " + r.error());
  if (!has_type) return Status::Corrupt("malformed page header: no page type");
  if (h.uncompressed_page_size < 0 || h.compressed_page_size < 0) {
    return Status::Corrupt("malformed page header: negative page size");
  }
  *consumed = r.consumed();
  return h;
}

}  // namespace cairn::table::parquet
