#include "row_batch.h"

#include <stdexcept>

#include "failure.h"

namespace kms::core {
namespace {

std::string values_clause(int columns, int rows) {
  std::string out = " VALUES ";
  int param = 1;
  for (int r = 0; r < rows; ++r) {
    out += r ? ",(" : "(";
    for (int c = 0; c < columns; ++c) out += (c ? ",?" : "?") + std::to_string(param++);
    out += ")";
  }
  return out;
}

}  // namespace

RowBatch::RowBatch(Db& db, const std::string& head, int columns, int rows)
    : columns_(columns),
      rows_per_insert_(rows),
      values_(static_cast<std::size_t>(rows * columns)),
      many_(db, (head + values_clause(columns, rows)).c_str()),
      one_(db, (head + values_clause(columns, 1)).c_str()) {}

RowBatch::Value& RowBatch::next() {
  if (column_ == columns_) throw InternalError("a row with too many values");
  return values_[static_cast<std::size_t>(rows_) * static_cast<std::size_t>(columns_) +
                 static_cast<std::size_t>(column_++)];
}

RowBatch& RowBatch::text(std::string_view v) {
  Value& x = next();
  x.kind = Kind::Text;
  x.bytes.assign(v.data(), v.size());
  return *this;
}

RowBatch& RowBatch::integer(std::int64_t v) {
  Value& x = next();
  x.kind = Kind::Integer;
  x.integer = v;
  return *this;
}

RowBatch& RowBatch::blob(const void* data, std::size_t n) {
  Value& x = next();
  x.kind = Kind::Blob;
  x.bytes.assign(static_cast<const char*>(data), n);
  return *this;
}

RowBatch& RowBatch::null() {
  next().kind = Kind::Null;
  return *this;
}

void RowBatch::end_row() {
  if (column_ != columns_) throw InternalError("a row with too few values");
  column_ = 0;
  if (++rows_ < rows_per_insert_) return;
  for (int r = 0; r < rows_per_insert_; ++r) bind_row(many_, r, r * columns_ + 1);
  rows_ = 0;
  many_.run();
}

void RowBatch::flush() {
  if (column_ != 0) throw InternalError("flush in the middle of a row");
  for (int r = 0; r < rows_; ++r) {
    bind_row(one_, r, 1);
    one_.run();
  }
  rows_ = 0;
}

void RowBatch::bind_row(Stmt& s, int row, int first_param) {
  for (int c = 0; c < columns_; ++c) {
    const Value& v =
        values_[static_cast<std::size_t>(row) * static_cast<std::size_t>(columns_) + static_cast<std::size_t>(c)];
    const int p = first_param + c;
    switch (v.kind) {
      case Kind::Null:
        s.bind_null(p);
        break;
      case Kind::Integer:
        s.bind(p, v.integer);
        break;
      case Kind::Text:
        s.bind_text_static(p, v.bytes);
        break;
      case Kind::Blob:
        s.bind_blob(p, v.bytes.data(), v.bytes.size());
        break;
    }
  }
}

}  // namespace kms::core
