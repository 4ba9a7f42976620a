// Loading COCO ground truth and detections: COCO JSON documents (simdjson DOM, whose number
// parsing is correctly rounded, like Python's json) and tables of boxes.

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <utility>

#include "base/file.h"
#include "metrics/coco.h"
#include "table/column.h"
#include "table/io.h"

namespace cairn::metrics {
namespace {

namespace dom = simdjson::dom;

std::string TypeName(dom::element el) {
  switch (el.type()) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      return "an integer";
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

bool GetNumber(dom::element el, double* out) {
  switch (el.type()) {
    case dom::element_type::INT64:
      *out = static_cast<double>(el.get_int64().value_unsafe());
      return true;
    case dom::element_type::UINT64:
      *out = static_cast<double>(el.get_uint64().value_unsafe());
      return true;
    case dom::element_type::DOUBLE:
      *out = el.get_double().value_unsafe();
      return true;
    default:
      return false;
  }
}

bool GetInt(dom::element el, int64_t* out) {
  if (el.type() != dom::element_type::INT64) return false;
  *out = el.get_int64().value_unsafe();
  return true;
}

// Where an error is: "gt.json: annotations[17] (id 903)".
struct Where {
  std::string_view file;
  std::string_view array;
  size_t index = 0;
  bool has_id = false;
  int64_t id = 0;

  std::string Text() const {
    std::string s =
        std::string(file) + ": " + std::string(array) + "[" + std::to_string(index) + "]";
    if (has_id) s += " (id " + std::to_string(id) + ")";
    return s;
  }
  Status Missing(std::string_view field) const {
    return Status::Corrupt(Text() + ": missing field '" + std::string(field) + "'");
  }
  Status Wrong(std::string_view field, std::string_view expected, dom::element got) const {
    return Status::Corrupt(Text() + ": field '" + std::string(field) + "': expected " +
                           std::string(expected) + ", got " + TypeName(got));
  }
  Status Bad(std::string_view field, const std::string& what) const {
    return Status::Corrupt(Text() + ": field '" + std::string(field) + "': " + what);
  }
};

Status ReadBox(const Where& where, dom::element el, Box* box) {
  dom::array arr;
  if (el.get_array().get(arr) != simdjson::SUCCESS || arr.size() != 4) {
    return where.Wrong("bbox", "an array of 4 numbers [x, y, w, h]", el);
  }
  double v[4];
  size_t i = 0;
  for (dom::element x : arr) {
    if (!GetNumber(x, &v[i])) {
      return where.Bad("bbox", "expected an array of 4 numbers [x, y, w, h], element " +
                                   std::to_string(i) + " is " + TypeName(x));
    }
    ++i;
  }
  *box = Box{v[0], v[1], v[2], v[3]};
  for (int j = 0; j < 4; ++j) {
    if (!std::isfinite(v[j])) return where.Bad("bbox", "not a finite number");
  }
  if (box->w < 0 || box->h < 0) {
    return where.Bad("bbox", "negative size " + table::FormatDouble(box->w) + " x " +
                                 table::FormatDouble(box->h));
  }
  return Status::Ok();
}

// Parses `size` bytes at `data` (followed by simdjson's padding) into *doc.
Status ParseDocument(dom::parser* parser, const char* data, size_t size, std::string_view name,
                     dom::element* doc) {
  simdjson::error_code err = parser->parse(data, size, false).get(*doc);
  if (err != simdjson::SUCCESS) {
    return Status::Corrupt(std::string(name) + ": not valid JSON: " + simdjson::error_message(err));
  }
  return Status::Ok();
}

Status GetTopArray(dom::object root, std::string_view key, std::string_view name, dom::array* out) {
  dom::element el;
  if (root[key].get(el) != simdjson::SUCCESS) {
    return Status::Corrupt(std::string(name) + ": missing top-level field '" + std::string(key) +
                           "'");
  }
  if (el.get_array().get(*out) != simdjson::SUCCESS) {
    return Status::Corrupt(std::string(name) + ": top-level field '" + std::string(key) +
                           "': expected an array, got " + TypeName(el));
  }
  return Status::Ok();
}

Result<CocoDataset> ParseGroundTruthPadded(const char* data, size_t size, std::string_view name) {
  dom::parser parser;
  dom::element doc;
  CAIRN_RETURN_IF_ERROR(ParseDocument(&parser, data, size, name, &doc));
  dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) {
    return Status::Corrupt(std::string(name) +
                           ": expected a COCO instances object with 'images', 'categories' and "
                           "'annotations', got " +
                           TypeName(doc));
  }
  dom::array images;
  dom::array categories;
  dom::array annotations;
  CAIRN_RETURN_IF_ERROR(GetTopArray(root, "images", name, &images));
  CAIRN_RETURN_IF_ERROR(GetTopArray(root, "categories", name, &categories));
  CAIRN_RETURN_IF_ERROR(GetTopArray(root, "annotations", name, &annotations));

  CocoDataset gt;
  std::unordered_set<int64_t> image_set;
  std::unordered_set<int64_t> seen;  // category ids, then annotation ids
  size_t index = 0;
  gt.image_ids.reserve(images.size());
  for (dom::element el : images) {
    Where where{name, "images", index++};
    dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Corrupt(where.Text() + ": expected an object, got " + TypeName(el));
    }
    dom::element id_el;
    if (obj["id"].get(id_el) != simdjson::SUCCESS) return where.Missing("id");
    int64_t id = 0;
    if (!GetInt(id_el, &id)) return where.Wrong("id", "an integer", id_el);
    if (!image_set.insert(id).second) {
      return Status::Corrupt(where.Text() + ": duplicate image id " + std::to_string(id));
    }
    gt.image_ids.push_back(id);
  }

  index = 0;
  for (dom::element el : categories) {
    Where where{name, "categories", index++};
    dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Corrupt(where.Text() + ": expected an object, got " + TypeName(el));
    }
    CocoCategory cat;
    dom::element id_el;
    if (obj["id"].get(id_el) != simdjson::SUCCESS) return where.Missing("id");
    if (!GetInt(id_el, &cat.id)) return where.Wrong("id", "an integer", id_el);
    dom::element name_el;
    if (obj["name"].get(name_el) == simdjson::SUCCESS) {
      std::string_view s;
      if (name_el.get_string().get(s) != simdjson::SUCCESS) {
        return where.Wrong("name", "a string", name_el);
      }
      cat.name = std::string(s);
    }
    if (!seen.insert(cat.id).second) {
      return Status::Corrupt(where.Text() + ": duplicate category id " + std::to_string(cat.id));
    }
    gt.categories.push_back(std::move(cat));
  }

  seen.clear();
  index = 0;
  gt.annotations.reserve(annotations.size());
  for (dom::element el : annotations) {
    Where where{name, "annotations", index++};
    dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Corrupt(where.Text() + ": expected an object, got " + TypeName(el));
    }
    CocoGroundTruth a;
    bool has[5] = {false, false, false, false, false};  // image_id category_id bbox area id
    dom::element id_el;
    if (obj["id"].get(id_el) == simdjson::SUCCESS) {
      if (!GetInt(id_el, &a.id)) return where.Wrong("id", "an integer", id_el);
      where.has_id = true;
      where.id = a.id;
      has[4] = true;
    }
    for (dom::key_value_pair kv : obj) {
      std::string_view key = kv.key;
      if (key == "id") {
        if (!GetInt(kv.value, &a.id)) return where.Wrong(key, "an integer", kv.value);
      } else if (key == "image_id") {
        if (!GetInt(kv.value, &a.image_id)) return where.Wrong(key, "an integer", kv.value);
        has[0] = true;
      } else if (key == "category_id") {
        if (!GetInt(kv.value, &a.category_id)) return where.Wrong(key, "an integer", kv.value);
        has[1] = true;
      } else if (key == "bbox") {
        CAIRN_RETURN_IF_ERROR(ReadBox(where, kv.value, &a.box));
        has[2] = true;
      } else if (key == "area") {
        if (!GetNumber(kv.value, &a.area)) return where.Wrong(key, "a number", kv.value);
        if (!std::isfinite(a.area) || a.area < 0) {
          return where.Bad(
              key, "expected a finite non-negative number, got " + table::FormatDouble(a.area));
        }
        has[3] = true;
      } else if (key == "iscrowd") {
        // pycocotools reads iscrowd as a truth value (0/1 or false/true).
        int64_t v = 0;
        bool b = false;
        if (GetInt(kv.value, &v)) {
          a.crowd = v != 0;
        } else if (kv.value.get_bool().get(b) == simdjson::SUCCESS) {
          a.crowd = b;
        } else {
          return where.Wrong(key, "0, 1, false or true", kv.value);
        }
      }
    }
    if (!has[4]) return where.Missing("id");
    if (!has[0]) return where.Missing("image_id");
    if (!has[1]) return where.Missing("category_id");
    if (!has[2]) return where.Missing("bbox");
    if (!has[3]) return where.Missing("area");
    if (!seen.insert(a.id).second) {
      return Status::Corrupt(where.Text() + ": duplicate annotation id " + std::to_string(a.id));
    }
    if (image_set.count(a.image_id) == 0) {
      return Status::Corrupt(where.Text() + ": image_id " + std::to_string(a.image_id) +
                             " is not in 'images'");
    }
    gt.annotations.push_back(a);
  }
  return gt;
}

Result<std::vector<CocoDetection>> ParseDetectionsPadded(const char* data, size_t size,
                                                         std::string_view name) {
  dom::parser parser;
  dom::element doc;
  CAIRN_RETURN_IF_ERROR(ParseDocument(&parser, data, size, name, &doc));
  dom::array arr;
  if (doc.get_array().get(arr) != simdjson::SUCCESS) {
    return Status::Corrupt(std::string(name) +
                           ": expected a COCO results array of {image_id, category_id, bbox, "
                           "score}, got " +
                           TypeName(doc));
  }
  std::vector<CocoDetection> dets;
  dets.reserve(arr.size());
  size_t index = 0;
  for (dom::element el : arr) {
    Where where{name, "detections", index++};
    dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Corrupt(where.Text() + ": expected an object, got " + TypeName(el));
    }
    CocoDetection d;
    bool has[4] = {false, false, false, false};
    for (dom::key_value_pair kv : obj) {
      std::string_view key = kv.key;
      if (key == "image_id") {
        if (!GetInt(kv.value, &d.image_id)) return where.Wrong(key, "an integer", kv.value);
        has[0] = true;
      } else if (key == "category_id") {
        if (!GetInt(kv.value, &d.category_id)) return where.Wrong(key, "an integer", kv.value);
        has[1] = true;
      } else if (key == "bbox") {
        CAIRN_RETURN_IF_ERROR(ReadBox(where, kv.value, &d.box));
        has[2] = true;
      } else if (key == "score") {
        if (!GetNumber(kv.value, &d.score)) return where.Wrong(key, "a number", kv.value);
        if (!std::isfinite(d.score)) return where.Bad(key, "not a finite number");
        has[3] = true;
      }
    }
    if (!has[0]) return where.Missing("image_id");
    if (!has[1]) return where.Missing("category_id");
    if (!has[2]) return where.Missing("bbox");
    if (!has[3]) return where.Missing("score");
    dets.push_back(d);
  }
  return dets;
}

// Reads a whole file followed by simdjson's padding; *size gets the file's size.
Result<std::string> ReadPadded(const std::string& path, size_t* size) {
  CAIRN_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
  *size = data.size();
  data.resize(data.size() + simdjson::SIMDJSON_PADDING);
  return data;
}

// ---- tables ----

// A numeric, integer or boolean column of a table being read, located by name.
struct TableColumn {
  std::string name;
  int index = -1;
};

Status FindColumn(const table::Schema& schema, const std::string& path, TableColumn* col,
                  bool required) {
  for (int i = 0; i < schema.num_fields(); ++i) {
    if (schema.field(i).name == col->name) {
      col->index = i;
      return Status::Ok();
    }
  }
  if (required) {
    return Status::Corrupt(path + ": missing column '" + col->name + "'");
  }
  return Status::Ok();
}

std::string RowWhere(const std::string& path, int64_t row, const std::string& column) {
  return path + ": row " + std::to_string(row) + ": column '" + column + "'";
}

Status ReadDouble(const table::Table& batch, const TableColumn& col, int64_t i,
                  const std::string& path, int64_t row, double* out) {
  const table::Column& c = batch.column(col.index);
  if (c.IsNull(i)) return Status::Corrupt(RowWhere(path, row, col.name) + ": null");
  switch (c.type().kind) {
    case table::TypeKind::kInt64:
      *out = static_cast<double>(c.Int(i));
      break;
    case table::TypeKind::kFloat64:
      *out = c.Double(i);
      break;
    default:
      return Status::Corrupt(RowWhere(path, row, col.name) + ": expected a number, the column is " +
                             c.type().ToString());
  }
  if (!std::isfinite(*out)) {
    return Status::Corrupt(RowWhere(path, row, col.name) + ": not a finite number");
  }
  return Status::Ok();
}

Status ReadInt(const table::Table& batch, const TableColumn& col, int64_t i,
               const std::string& path, int64_t row, int64_t* out) {
  const table::Column& c = batch.column(col.index);
  if (c.IsNull(i)) return Status::Corrupt(RowWhere(path, row, col.name) + ": null");
  if (c.type().kind != table::TypeKind::kInt64) {
    return Status::Corrupt(RowWhere(path, row, col.name) + ": expected an integer, the column is " +
                           c.type().ToString());
  }
  *out = c.Int(i);
  return Status::Ok();
}

Status ReadTableBox(const table::Table& batch, TableColumn* cols, int64_t i,
                    const std::string& path, int64_t row, Box* box) {
  CAIRN_RETURN_IF_ERROR(ReadDouble(batch, cols[0], i, path, row, &box->x));
  CAIRN_RETURN_IF_ERROR(ReadDouble(batch, cols[1], i, path, row, &box->y));
  CAIRN_RETURN_IF_ERROR(ReadDouble(batch, cols[2], i, path, row, &box->w));
  CAIRN_RETURN_IF_ERROR(ReadDouble(batch, cols[3], i, path, row, &box->h));
  if (box->w < 0) {
    return Status::Corrupt(RowWhere(path, row, "w") + ": negative width " +
                           table::FormatDouble(box->w));
  }
  if (box->h < 0) {
    return Status::Corrupt(RowWhere(path, row, "h") + ": negative height " +
                           table::FormatDouble(box->h));
  }
  return Status::Ok();
}

}  // namespace

Result<CocoDataset> ParseCocoGroundTruth(std::string_view json, std::string_view name) {
  simdjson::padded_string padded(json);
  return ParseGroundTruthPadded(padded.data(), padded.size(), name);
}

Result<CocoDataset> LoadCocoGroundTruth(const std::string& path) {
  size_t size = 0;
  CAIRN_ASSIGN_OR_RETURN(std::string data, ReadPadded(path, &size));
  return ParseGroundTruthPadded(data.data(), size, path);
}

Result<std::vector<CocoDetection>> ParseCocoDetections(std::string_view json,
                                                       std::string_view name) {
  simdjson::padded_string padded(json);
  return ParseDetectionsPadded(padded.data(), padded.size(), name);
}

Result<std::vector<CocoDetection>> LoadCocoDetections(const std::string& path) {
  size_t size = 0;
  CAIRN_ASSIGN_OR_RETURN(std::string data, ReadPadded(path, &size));
  return ParseDetectionsPadded(data.data(), size, path);
}

Result<CocoDataset> LoadCocoGroundTruthTable(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto reader, table::OpenTableReader(path));
  TableColumn image{"image_id"};
  TableColumn category{"category_id"};
  TableColumn box[4] = {{"x"}, {"y"}, {"w"}, {"h"}};
  TableColumn area{"area"};
  TableColumn crowd{"iscrowd"};
  TableColumn id{"id"};
  const table::Schema& schema = reader->schema();
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &image, true));
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &category, true));
  for (TableColumn& c : box) CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &c, true));
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &area, false));
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &crowd, false));
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &id, false));

  CocoDataset gt;
  std::unordered_set<int64_t> images;
  std::unordered_set<int64_t> categories;
  std::unordered_set<int64_t> ids;
  int64_t row = 0;
  table::Table batch;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader->Next(&batch));
    if (!more) break;
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      ++row;
      int64_t image_id = 0;
      CAIRN_RETURN_IF_ERROR(ReadInt(batch, image, i, path, row, &image_id));
      if (images.insert(image_id).second) gt.image_ids.push_back(image_id);
      if (batch.column(category.index).IsNull(i)) continue;  // an image without objects
      CocoGroundTruth a;
      a.image_id = image_id;
      CAIRN_RETURN_IF_ERROR(ReadInt(batch, category, i, path, row, &a.category_id));
      CAIRN_RETURN_IF_ERROR(ReadTableBox(batch, box, i, path, row, &a.box));
      a.area = a.box.w * a.box.h;
      if (area.index >= 0) {
        CAIRN_RETURN_IF_ERROR(ReadDouble(batch, area, i, path, row, &a.area));
        if (a.area < 0) {
          return Status::Corrupt(RowWhere(path, row, "area") + ": negative area " +
                                 table::FormatDouble(a.area));
        }
      }
      if (crowd.index >= 0) {
        const table::Column& c = batch.column(crowd.index);
        if (c.IsNull(i)) return Status::Corrupt(RowWhere(path, row, crowd.name) + ": null");
        if (c.type().kind == table::TypeKind::kBool) {
          a.crowd = c.Bool(i);
        } else if (c.type().kind == table::TypeKind::kInt64) {
          a.crowd = c.Int(i) != 0;
        } else {
          return Status::Corrupt(RowWhere(path, row, crowd.name) +
                                 ": expected 0/1 or a boolean, the column is " +
                                 c.type().ToString());
        }
      }
      a.id = row;
      if (id.index >= 0) CAIRN_RETURN_IF_ERROR(ReadInt(batch, id, i, path, row, &a.id));
      if (!ids.insert(a.id).second) {
        return Status::Corrupt(path + ": row " + std::to_string(row) +
                               ": duplicate annotation id " + std::to_string(a.id));
      }
      if (categories.insert(a.category_id).second) {
        gt.categories.push_back({a.category_id, std::to_string(a.category_id)});
      }
      gt.annotations.push_back(a);
    }
  }
  return gt;
}

Result<std::vector<CocoDetection>> LoadCocoDetectionsTable(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto reader, table::OpenTableReader(path));
  TableColumn image{"image_id"};
  TableColumn category{"category_id"};
  TableColumn box[4] = {{"x"}, {"y"}, {"w"}, {"h"}};
  TableColumn score{"score"};
  const table::Schema& schema = reader->schema();
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &image, true));
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &category, true));
  for (TableColumn& c : box) CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &c, true));
  CAIRN_RETURN_IF_ERROR(FindColumn(schema, path, &score, true));
  std::vector<CocoDetection> dets;
  int64_t row = 0;
  table::Table batch;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader->Next(&batch));
    if (!more) break;
    dets.reserve(dets.size() + static_cast<size_t>(batch.num_rows()));
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      ++row;
      CocoDetection d;
      CAIRN_RETURN_IF_ERROR(ReadInt(batch, image, i, path, row, &d.image_id));
      CAIRN_RETURN_IF_ERROR(ReadInt(batch, category, i, path, row, &d.category_id));
      CAIRN_RETURN_IF_ERROR(ReadTableBox(batch, box, i, path, row, &d.box));
      CAIRN_RETURN_IF_ERROR(ReadDouble(batch, score, i, path, row, &d.score));
      dets.push_back(d);
    }
  }
  return dets;
}

}  // namespace cairn::metrics
