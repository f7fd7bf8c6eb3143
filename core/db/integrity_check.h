// SQLite's own consistency checks, on a read-only connection of their own, so
// the check of the bulk tables can run while the verification reads records.
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_handle.h"

namespace kms::core {

class CancelFlag;

/// PRAGMA integrity_check(TABLE) and foreign_key_check(TABLE) for each table
/// (indexes included); with no tables, the whole-file integrity_check and
/// foreign_key_check. Returns the problems found; empty means sound.
std::vector<std::string> check_tables(Db& db, const std::vector<std::string>& tables);

/// check_tables() on its own thread and connection. The destructor interrupts
/// and joins; result() waits for it and returns the problems (rethrows its
/// error). A cancel (`cancel`) interrupts the check within a tenth of a second:
/// SQLite's integrity check is one long step that no progress handler sees.
class BackgroundCheck {
 public:
  /// `longest_value` > 0: SQLite's length limit on its connection (verify's bound on a planted value).
  BackgroundCheck(const std::string& db_path, std::vector<std::string> tables, OpenMode mode = OpenMode::ReadOnly,
                  const CancelFlag* cancel = nullptr, int longest_value = 0);
  ~BackgroundCheck();
  BackgroundCheck(const BackgroundCheck&) = delete;
  BackgroundCheck& operator=(const BackgroundCheck&) = delete;
  std::vector<std::string> result();

 private:
  std::unique_ptr<Db> db_;
  const CancelFlag* cancel_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
  std::vector<std::string> problems_;
  std::exception_ptr error_;
  bool joined_ = false;
};

}  // namespace kms::core
