// How the writer uses SQLite. The defaults were measured (docs/performance.md);
// the upgrade passes them in through its options (upgrade_options.h).
#pragma once

namespace kms::core {

struct DbTuning {
  /// Rows of one table inserted by one INSERT statement (RowBatch): SQLite's
  /// per-statement work is shared among them.
  int rows_per_insert = 32;
  /// The connection's page cache, in KiB, from the index build on. SQLite's
  /// sorter keeps up to this in memory (PRAGMA cache_size, db_writer.cpp) and
  /// writes the rest to temporary files.
  int index_cache_kib = 512;
};

}  // namespace kms::core
