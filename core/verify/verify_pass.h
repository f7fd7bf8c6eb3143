// Record-by-record verification of a database against the store, shared by
// the upgrade's check before commit and by `verify`.
#pragma once
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "content_digest.h"
#include "db_reader.h"
#include "db_writer.h"
#include "file_analysis.h"
#include "run_control.h"
#include "sqlite_handle.h"
#include "store_analysis.h"
#include "verify_tables.h"

namespace kms::core {

/// The database's clients read back on their own connection, in one read
/// transaction: scanned in the order they were written (DbScanner), read by key
/// (DbReader) where the scan cannot answer, each with its record digest.
class ClientReadBack {
 public:
  /// How clients are read: scanned in rowid order with reads by key where the
  /// scan cannot answer, or by key alone (every row of a client, wherever it lies).
  enum class Reading { ScanFirst, ByKeyOnly };
  explicit ClientReadBack(Db& db, Reading reading = Reading::ScanFirst);
  ~ClientReadBack();
  ClientReadBack(const ClientReadBack&) = delete;
  ClientReadBack& operator=(const ClientReadBack&) = delete;

  struct Stored {
    ClientRecord record;
    RecordDigest digest;
  };
  /// Whether a record as assembled by the scan is the one expected; if not, it is
  /// read again by key before anyone judges it (rows out of the usual order).
  using Agrees = std::function<bool(const ClientRecord&, const RecordDigest&)>;
  /// The client `record_id` as stored, nullopt when there is none.
  std::optional<Stored> read(const std::string& record_id, const Agrees& agrees);
  /// The client `record_id` compared field by field with `expected` (no digest
  /// is computed when they are equal: equal records have equal digests).
  struct Compared {
    bool present = false;
    std::vector<std::string> differences;  ///< the fields that differ, as compare_records() names them
    std::optional<RecordDigest> digest;    ///< of the stored record, when it differs
  };
  Compared compare(const std::string& record_id, const ClientRecord& expected);
  /// Whether a client `record_id` exists (its rows are accounted for by unexpected()).
  bool exists(const std::string& record_id);
  /// True when the scan took every row of every client table, in order, each
  /// with the client of its record_id, and every client asked for came from it:
  /// then every row was part of a record compared. Otherwise a row may lie
  /// outside every record the scan assembled (one added later for an earlier
  /// client), and only a reading by key accounts for it.
  bool every_row_taken() const;
  /// The rows of the records handed out so far (each client once: the record
  /// finally compared, read or found unexpected).
  const ClientRows& rows_read() const { return rows_; }
  /// The client of a file the store no longer has, where the scan stands:
  /// taken from it so that the scan goes on in the written order, and handed
  /// out by unexpected() (at most kPassedOver of them; past that the scan
  /// stops at the next one and every client is read by key).
  void pass_over(const std::string& record_id);
  static constexpr std::size_t kPassedOver = 10000;
  /// The clients nobody read (`accounted` says which ids read() was asked for),
  /// with their record digests.
  void unexpected(const std::function<bool(const std::string&)>& accounted,
                  const std::function<void(std::string id, const RecordDigest&)>& each);

 private:
  /// The client as the scan meets it, or read by key when the scan cannot answer.
  std::optional<ClientRecord> fetch(const std::string& record_id, bool& from_scan);

  Db& db_;
  DbReader reader_;
  std::optional<DbScanner> scanner_;  // none when reading by key alone
  Stmt exists_;
  bool all_from_scan_ = true;
  ClientRows rows_;
  struct PassedOver {
    std::string id;
    RecordDigest digest;
    ClientRows rows;
  };
  std::vector<PassedOver> passed_over_;  // pass_over()'s, for unexpected()
};

/// The field-mismatch message naming `fields`, redacted of what `file` holds
/// as secret (an extra attribute's name may be a piece of a key).
std::string mismatch_message(const std::vector<std::string>& fields, const AnalyzedFile& file);

/// The verdict on a stored record against the file as read now (`now_file`):
/// source-changed, missing-in-target or field-mismatch naming the fields, added to `f`.
Verification judge_against_source(const std::optional<ClientRecord>& stored, FileSummary& f, AnalyzedFile&& now_file);

/// Reads one file of the store again, as a record file.
AnalyzedFile read_source(const StoreDir& clients, const FileSummary& f, const PassSettings& s);

}  // namespace kms::core
