#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "metrics/result.h"
#include "table/table.h"

namespace cairn::metrics {

/// Parses a document written by EvaluationResultToJson back into a result: the exact
/// inverse, so EvaluationResultToJson(*EvaluationResultFromJson(EvaluationResultToJson(r)))
/// equals EvaluationResultToJson(r) byte for byte. Numbers are parsed correctly rounded. An
/// integer literal is a count and a number with a fraction or an exponent a number (the
/// writer prints an integral number such as 1.0 as `1`, which therefore reads back as a
/// count of the same value); `-0` is the number -0.0. An array of arrays of integers is a
/// matrix, an object of equally long arrays of numbers (null for a missing point) a curve,
/// null with an entry in "null_reasons" a null value, and null without one a NaN number.
///
/// Errors (kInvalidArgument) name `source_name`, then either the line and column of a JSON
/// syntax error or the JSON path of the member that is wrong (`$.slices["weather"]["rain"]
/// .rows`) and what was expected there. Unknown and duplicate members are errors.
Result<EvaluationResult> EvaluationResultFromJson(std::string_view json,
                                                  std::string_view source_name);

/// Reads `path` and parses it with EvaluationResultFromJson (errors name the path).
Result<EvaluationResult> ReadEvaluationResult(const std::string& path);

/// The result as a long table, one row per scalar output of the whole input and of every
/// slice, in result order (overall first, then each slicing's slices):
///
///   slicing  string  not null  slicing name (`weather`, `weather,time_of_day`); "" overall
///   slice    string  not null  slice key (`rain`, `rain|night`); "" overall
///   rows     int64   not null  rows of the slice (of the whole input overall)
///   metric   string  not null  output key (`accuracy`, `precision[car]`)
///   value    float64 nullable  the value; null for a null value (and for a NaN number)
///   reason   string  nullable  why the value is null; null when there is a value
///
/// Counts become float64 values (exact below 2^53). A matrix is flattened into one row per
/// cell named `KEY[LABEL,PREDICTION]` (`confusion_matrix[car,bike]`: label car predicted
/// bike) with the class names when its size matches the class list and the row and column
/// numbers otherwise. Curves are left out: their points stay in the JSON document.
table::Table EvaluationResultToLongTable(const EvaluationResult& result);

/// Writes EvaluationResultToLongTable(result) to `path` in the format of its extension
/// (.parquet, .csv, .jsonl; see table::FileFormatFromPath). The file appears atomically.
Status WriteLongTable(const EvaluationResult& result, const std::string& path);

}  // namespace cairn::metrics
