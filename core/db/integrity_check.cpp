#include "integrity_check.h"

#include <sqlite3.h>

#include <chrono>
#include <system_error>

#include "failure.h"
#include "run_control.h"

namespace kms::core {

std::vector<std::string> check_tables(Db& db, const std::vector<std::string>& tables) {
  std::vector<std::string> problems;
  if (tables.empty()) {  // the whole file: every table and index, and the page accounting
    Stmt s(db, "PRAGMA integrity_check");
    while (s.step()) {
      if (s.text(0) != "ok") problems.push_back("integrity_check: " + s.text(0));
    }
    Stmt fk(db, "PRAGMA foreign_key_check");
    if (fk.step()) problems.push_back("foreign_key_check: a row of " + fk.text(0) + " has no parent in " + fk.text(2));
    return problems;
  }
  for (const auto& table : tables) {
    const std::string sql = "PRAGMA integrity_check(" + table + ")";
    Stmt s(db, sql.c_str());
    while (s.step()) {
      if (s.text(0) != "ok") problems.push_back("integrity_check(" + table + "): " + s.text(0));
    }
    const std::string fk_sql = "PRAGMA foreign_key_check(" + table + ")";
    Stmt fk(db, fk_sql.c_str());
    if (fk.step()) problems.push_back("foreign_key_check: a row of " + fk.text(0) + " has no parent in " + fk.text(2));
  }
  return problems;
}

BackgroundCheck::BackgroundCheck(const std::string& db_path, std::vector<std::string> tables, OpenMode mode,
                                 const CancelFlag* cancel, int longest_value)
    : db_(std::make_unique<Db>(db_path, mode)), cancel_(cancel) {
  if (longest_value > 0) sqlite3_limit(db_->get(), SQLITE_LIMIT_LENGTH, longest_value);
  try {
    thread_ = std::thread([this, tables = std::move(tables)] {
      try {
        problems_ = check_tables(*db_, tables);
      } catch (...) {
        error_ = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
      done_cv_.notify_all();
    });
  } catch (const std::system_error& e) {
    throw SystemError("start the thread of SQLite's checks", "", e.code().value());
  }
}

BackgroundCheck::~BackgroundCheck() {
  if (joined_) return;
  db_->interrupt();
  thread_.join();
}

std::vector<std::string> BackgroundCheck::result() {
  if (!joined_) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      bool interrupted = false;
      while (!done_) {
        done_cv_.wait_for(lock, std::chrono::milliseconds(100));
        if (!interrupted && cancel_ && cancel_->requested()) {
          db_->interrupt();  // the check then ends at once
          interrupted = true;
        }
      }
    }
    thread_.join();
    joined_ = true;
  }
  throw_if_cancelled(cancel_);  // whatever the check said when it was cut short
  if (error_) std::rethrow_exception(error_);
  return problems_;
}

}  // namespace kms::core
