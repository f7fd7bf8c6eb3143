// The database verify examines: opened once, by the name the operator gave,
// and from then on reached only through that descriptor (every connection
// opens /proc/self/fd/N), so that no later swap of the name changes what is
// read. Its bytes are held to what SQLite writes: a rollback-journal header,
// and a size of exactly page size times page count.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sqlite_handle.h"

namespace kms::core {

class VerifyTarget {
 public:
  /// Opens `target`; a Stop (exit 2) when it is not a regular file, a
  /// -wal/-journal lies beside it, or it is not a kms-migrate database of this schema.
  /// No value longer than `longest_value` bytes is ever read (SQLite's length
  /// limit: reading one is an error), so that a planted value cannot make
  /// verify's memory grow; no record file under the size limit gives one.
  VerifyTarget(const std::filesystem::path& target, std::int64_t longest_value);
  ~VerifyTarget();
  VerifyTarget(const VerifyTarget&) = delete;
  VerifyTarget& operator=(const VerifyTarget&) = delete;

  /// The name by which every connection opens the very file first opened.
  const std::string& path() const { return by_fd_; }
  Db& db() { return *db_; }
  /// How the file's bytes differ from what SQLite writes for kms-migrate:
  /// bytes after the last page (or a file cut short), a WAL header.
  std::vector<std::string> file_differences() const;

 private:
  std::filesystem::path target_;
  int fd_ = -1;
  std::string by_fd_;
  std::unique_ptr<Db> db_;
};

}  // namespace kms::core
