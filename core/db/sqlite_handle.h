// RAII wrappers for a SQLite connection and its prepared statements.
#pragma once
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "text_util.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kms::core {

/// Thrown on any SQLite failure; the message names the statement's purpose.
class DbError : public std::exception {
 public:
  DbError(std::string what, int code) : what_(std::move(what)), code_(code) {}
  const char* what() const noexcept override { return what_.c_str(); }
  int code() const { return code_; }

 private:
  std::string what_;
  int code_;
};

/// ReadOnlyImmutable: the main file alone, as it is on disk, for a database that
/// nobody writes (verify): no lock, no -wal or -shm read or created (SQLite's
/// "immutable"), temporary tables and sorts in memory.
enum class OpenMode { ReadOnly, ReadOnlyImmutable, ReadWriteCreate };

class CancelFlag;
/// From now on every connection checks `flag` while its statements run
/// (sqlite3_progress_handler, every 1,000 virtual-machine steps): a cancel stops
/// even a long query (the integrity check, a crafted endless view) within
/// milliseconds, as a DbError with SQLITE_INTERRUPT. nullptr turns it off.
void interrupt_sqlite_on(const CancelFlag* flag);
/// True when `e` is the interruption caused by that flag.
bool is_interrupt(const DbError& e);
/// True when a write failed for lack of room or an I/O error (SQLITE_FULL, SQLITE_IOERR).
bool is_storage_failure(int sqlite_code);
/// A failure of the system under SQLite (I/O, a full disk, a file it cannot open, no memory), not of the database's
/// content.
bool is_system_failure(int sqlite_code);

class Db {
 public:
  Db(const std::string& path, OpenMode mode);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const char* sql);
  sqlite3* get() const { return db_; }
  /// Frees what the connection's page cache can give back.
  void release_memory();
  /// Makes the statements running on this connection stop (from another thread).
  void interrupt();
  /// Close now (reporting errors); the destructor closes quietly otherwise.
  void close();

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(Db& db, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::string_view text);
  Stmt& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  Stmt& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  Stmt& bind(int i, const std::optional<std::string>& text);
  Stmt& bind(int i, std::int64_t v);
  /// The bytes are not copied: they must stay valid until the statement has run.
  Stmt& bind_blob(int i, const void* data, std::size_t n);
  /// Text not copied either: `text` must stay valid until the statement has run.
  Stmt& bind_text_static(int i, const std::string& text);
  Stmt& bind_text_static(int i, const std::string&& text) = delete;
  Stmt& bind_null(int i);
  /// true while there is a row.
  bool step();
  /// Run to completion and reset for reuse.
  void run();
  void reset();

  bool is_null(int col) const;
  std::string text(int col) const;
  /// The column's text, valid until the next step or reset.
  std::string_view text_view(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::int64_t integer(int col) const;
  Bytes blob(int col) const;
  /// The column's bytes, valid until the next step or reset.
  std::string_view blob_view(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace kms::core
