#include "integrity_check.h"

#include <system_error>

#include "failure.h"

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

BackgroundCheck::BackgroundCheck(const std::string& db_path, std::vector<std::string> tables, OpenMode mode)
    : db_(std::make_unique<Db>(db_path, mode)) {
  try {
    thread_ = std::thread([this, tables = std::move(tables)] {
      try {
        problems_ = check_tables(*db_, tables);
      } catch (...) {
        error_ = std::current_exception();
      }
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
    thread_.join();
    joined_ = true;
  }
  if (error_) std::rethrow_exception(error_);
  return problems_;
}

}  // namespace kms::core
