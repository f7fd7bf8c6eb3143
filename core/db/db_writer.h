// Writing the 5.5 database (docs/database.md) through one connection.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "db_tuning.h"
#include "file_analysis.h"
#include "outcome.h"
#include "record.h"
#include "sqlite_handle.h"

namespace kms::core {

inline constexpr int kSchemaVersion = 2;                    // 2: migration_report has display_name and alias
inline constexpr std::int64_t kApplicationId = 0x4B4D3535;  // 'KM55'

class DbWriter {
 public:
  enum class Schema { Create, Existing };
  /// Prepares the inserts; with Schema::Create, first creates the tables in the empty `db`.
  explicit DbWriter(Db& db, Schema schema = Schema::Create, const DbTuning& tuning = {});
  /// The rest of the schema (schema/kms55_indexes.sql), once the records are in
  /// and the cross-file rules have deleted the clients they reject.
  void create_indexes();
  ~DbWriter();
  DbWriter(const DbWriter&) = delete;
  DbWriter& operator=(const DbWriter&) = delete;

  // Rows are buffered and inserted several at a time (RowBatch): flush() before
  // reading the tables back. Children may reach the file before their client, so
  // foreign keys must not be enforced row by row (the upgrade turns them off).

  /// A client with its certificates, keys and extras. One whose record id is
  /// taken is ignored; one whose MailboxDN is taken is written (the unique index
  /// on it comes with create_indexes()). Either has a duplicate: the cross-file
  /// rules reject both afterwards, and delete_client() removes what was written.
  void write_client(const ClientRecord& rec);
  /// `raw`: the file's bytes, for every record file that was read.
  void write_legacy_file(const FileSummary& f, const std::optional<std::string>& raw);
  void write_report_row(const FileSummary& f, std::optional<Verification> v);
  /// Inserts every buffered row.
  void flush();
  /// Rewrites the report row of `f.path` (outcome, state, issues, verification).
  void update_report_row(const FileSummary& f, std::optional<Verification> v);
  void set_meta(const std::string& key, const std::string& value);
  /// A record rejected after it was written (a cross-file rule): its client rows go.
  void delete_client(const std::string& record_id);
  void set_legacy_outcome(const std::string& path, RecordOutcome outcome);

 private:
  struct Statements;
  Db& db_;
  DbTuning tuning_;
  std::unique_ptr<Statements> st_;
};

}  // namespace kms::core
