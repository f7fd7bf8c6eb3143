#include "sqlite_handle.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>

#include "failure.h"
#include "fd_path_vfs.h"
#include "run_control.h"

namespace kms::core {
namespace {

/// A statement as a message names it: its first words, not the whole text
/// (a row insert of the escrowed keys is a few hundred characters of SQL).
std::string statement_name(const char* sql) {
  std::string s(sql ? sql : "");
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  constexpr std::size_t kShown = 48;
  return s.size() > kShown ? s.substr(0, kShown) + "..." : s;
}

/// The operating system's cause of SQLite's last failure on `db`, in words with
/// what to do (" (Too many open files: raise the limit of open files: ulimit -n)"); "" when none.
std::string system_cause(sqlite3* db) {
  const int e = db ? sqlite3_system_errno(db) : 0;
  if (e == 0) return {};
  const char* advice = errno_advice(e);
  return std::string(" (") + std::strerror(e) + (*advice ? std::string(": ") + advice : std::string()) + ")";
}

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  throw DbError(what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) + system_cause(db), rc);
}

/// Process-wide settings, applied once before SQLite initialises itself: no memory statistics
/// (they take a global mutex on every allocation; measured in docs/performance.md), and
/// small sorted runs.
void configure_sqlite_once() {
  static const bool done = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // SQLITE_MISUSE if already initialised: harmless
    // A sort (the index built after the load) holds at least this many pages in
    // memory before it writes a sorted run to a temporary file: 250 by default,
    // 4 MiB at 16 KiB pages; 16 pages bound it by the connection's cache instead.
    sqlite3_config(SQLITE_CONFIG_PMASZ, 16u);
    register_fd_path_vfs();  // after the configuration: it initialises SQLite
    return true;
  }();
  (void)done;
}

std::atomic<const CancelFlag*> g_cancel{nullptr};

int on_progress(void*) {
  const CancelFlag* f = g_cancel.load(std::memory_order_relaxed);
  return f && f->requested() ? 1 : 0;
}

}  // namespace

void interrupt_sqlite_on(const CancelFlag* flag) { g_cancel.store(flag); }

bool is_storage_failure(int sqlite_code) {
  const int primary = sqlite_code & 0xFF;
  return primary == SQLITE_IOERR || primary == SQLITE_FULL;
}

bool is_system_failure(int sqlite_code) {
  const int primary = sqlite_code & 0xFF;
  return is_storage_failure(sqlite_code) || primary == SQLITE_CANTOPEN || primary == SQLITE_NOMEM;
}

void Db::release_memory() { sqlite3_db_release_memory(db_); }

void Db::interrupt() { sqlite3_interrupt(db_); }

bool is_interrupt(const DbError& e) { return (e.code() & 0xFF) == SQLITE_INTERRUPT; }

namespace {

/// "file:" URI of a path, every byte but unreserved ones and '/' percent-encoded.
std::string file_uri(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "file:";
  for (unsigned char c : path) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace

Db::Db(const std::string& path, OpenMode mode) {
  configure_sqlite_once();
  int flags = mode == OpenMode::ReadWriteCreate ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
  std::string name = path;
  if (mode == OpenMode::ReadOnlyImmutable) {
    name = file_uri(path) + "?mode=ro&immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg =
        "cannot open database '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)) + system_cause(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw DbError(msg, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_progress_handler(db_, 1000, on_progress, nullptr);
  if (mode == OpenMode::ReadOnlyImmutable) exec("PRAGMA temp_store = MEMORY");
}

Db::~Db() {
  if (db_) sqlite3_close_v2(db_);
}

void Db::close() {
  if (!db_) return;
  const int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) fail(db_, rc, "closing the database");
  db_ = nullptr;
}

void Db::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = std::string("SQL failed (") + (err ? err : sqlite3_errstr(rc)) + ")" + system_cause(db_);
    sqlite3_free(err);
    throw DbError(msg, rc);
  }
}

Stmt::Stmt(Db& db, const char* sql) : db_(db.get()) {
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "preparing \"" + statement_name(sql) + "\"");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int i, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_, rc, "binding text");
  return *this;
}

Stmt& Stmt::bind_text_static(int i, const std::string& text) {
  const int rc = sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_, rc, "binding text");
  return *this;
}

Stmt& Stmt::bind(int i, const std::optional<std::string>& text) {
  return text ? bind(i, std::string_view(*text)) : bind_null(i);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) fail(db_, rc, "binding an integer");
  return *this;
}

Stmt& Stmt::bind_blob(int i, const void* data, std::size_t n) {
  // A zero-length blob must still be a blob, not NULL. Not copied (the caller keeps
  // the bytes until the statement has run): blobs are most of what is written.
  const int rc = sqlite3_bind_blob64(stmt_, i, n ? data : "", n, SQLITE_STATIC);
  if (rc != SQLITE_OK) fail(db_, rc, "binding a blob");
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) fail(db_, rc, "binding NULL");
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "running \"" + statement_name(sqlite3_sql(stmt_)) + "\"");
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::string_view Stmt::text_view(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

std::optional<std::string> Stmt::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::int64_t Stmt::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

Bytes Stmt::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? Bytes(p, p + n) : Bytes();
}

std::string_view Stmt::blob_view(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

}  // namespace kms::core
