#include "verify_target.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "db_writer.h"
#include "failure.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

/// 0x4B4D3535 ('KM55'): the id in hex, and as the four characters it spells when they are printable.
std::string application_id_text(std::int64_t id) {
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%08llX", static_cast<unsigned long long>(id) & 0xFFFFFFFFULL);
  std::string chars;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = static_cast<char>((id >> shift) & 0xFF);
    if (c < 0x20 || c > 0x7E) return hex;
    chars.push_back(c);
  }
  return std::string(hex) + " ('" + chars + "')";
}

std::uint32_t big_endian(const unsigned char* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

VerifyTarget::VerifyTarget(const fs::path& target, std::int64_t longest_value) : target_(target) {
  std::error_code ec;
  for (const char* suffix : {"-wal", "-journal"}) {
    const fs::path beside = target.string() + suffix;
    if (fs::exists(fs::symlink_status(beside, ec))) {
      throw Stop(ExitCode::Usage,
                 "'" + beside.string() + "' lies beside the database: it may hold changes that the file itself " +
                     "lacks, and verify checks the file alone. If it belongs to the database, fold it in first " +
                     "(sqlite3 '" + target.string() +
                     "' 'PRAGMA wal_checkpoint(TRUNCATE)', on a copy), or move it away");
    }
  }
  fd_ = ::open(target.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // a FIFO does not block the open
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
      const char* kind = S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO" : "a special file";
      throw Stop(ExitCode::Usage, "no database at '" + target.string() + "': it is " + kind);
    }
    if (err == ENOENT || err == ENOTDIR) throw Stop(ExitCode::Usage, "no database at '" + target.string() + "'");
    throw_path_failure("open", target.string(), err);
  }
  by_fd_ = "/proc/self/fd/" + std::to_string(fd_);
  try {
    db_ = std::make_unique<Db>(by_fd_, OpenMode::ReadOnlyImmutable);
    sqlite3_limit(db_->get(), SQLITE_LIMIT_LENGTH, static_cast<int>(std::min<std::int64_t>(longest_value, 1 << 30)));
    std::int64_t app = 0, version = 0;
    try {
      Stmt a(*db_, "PRAGMA application_id");
      if (a.step()) app = a.integer(0);
      Stmt v(*db_, "PRAGMA user_version");
      if (v.step()) version = v.integer(0);
    } catch (const DbError& e) {
      throw Stop(ExitCode::Usage, "'" + target.string() + "' is not a kms-migrate database: " + e.what());
    }
    if (app != kApplicationId) {
      throw Stop(ExitCode::Usage, "'" + target.string() + "' is not a kms-migrate database (application_id " +
                                      application_id_text(app) + ", expected " + application_id_text(kApplicationId) +
                                      ")");
    }
    if (version != kSchemaVersion) {
      throw Stop(ExitCode::Usage, "'" + target.string() + "' has schema version " + std::to_string(version) +
                                      "; this kms-migrate reads version " + std::to_string(kSchemaVersion));
    }
  } catch (...) {
    db_.reset();
    ::close(fd_);
    throw;
  }
}

VerifyTarget::~VerifyTarget() {
  db_.reset();
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> VerifyTarget::file_differences() const {
  std::vector<std::string> out;
  unsigned char h[100] = {};
  struct stat st {};
  if (::pread(fd_, h, sizeof h, 0) != static_cast<ssize_t>(sizeof h) || ::fstat(fd_, &st) != 0) {
    throw SystemError("read the header of", target_.string(), errno ? errno : EIO);
  }
  if (h[18] != 1 || h[19] != 1) {
    out.push_back("the header gives file format versions " + std::to_string(h[18]) + " and " + std::to_string(h[19]) +
                  " (2 is WAL); kms-migrate writes a rollback-journal database (1 and 1)");
  }
  const std::uint32_t raw_page = big_endian(h + 16, 2);
  const std::uint64_t page = raw_page == 1 ? 65536 : raw_page;
  const std::uint32_t pages = big_endian(h + 28, 4);
  if (big_endian(h + 92, 4) != big_endian(h + 24, 4)) {
    out.push_back("the header's page count is stale (its change counter " + std::to_string(big_endian(h + 24, 4)) +
                  " differs from the one it was valid for, " + std::to_string(big_endian(h + 92, 4)) +
                  "): SQLite did not write the file last");
  }
  const std::uint64_t expected = page * pages;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > expected) {
    out.push_back(std::to_string(size - expected) + " byte(s) follow the database's last page (" +
                  std::to_string(pages) + " pages of " + std::to_string(page) + " bytes)");
  } else if (size < expected) {
    out.push_back("the file is " + std::to_string(expected - size) + " byte(s) shorter than its " +
                  std::to_string(pages) + " pages of " + std::to_string(page) + " bytes");
  }
  return out;
}

}  // namespace kms::core
