#include "table/io.h"

namespace cairn::table {

// Lives in the core library so that every format library can derive from TableReader
// without linking the format dispatch in io.cc.
Result<Table> TableReader::ReadAll() {
  Table out(schema());
  Table batch;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool more, Next(&batch));
    if (!more) break;
    if (out.num_rows() == 0) {
      out = std::move(batch);
      batch = Table();
    } else {
      CAIRN_RETURN_IF_ERROR(out.Append(batch));
    }
  }
  return out;
}

}  // namespace cairn::table
