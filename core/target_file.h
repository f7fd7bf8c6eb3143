// The target database: built in a clearly named temporary file beside it,
// renamed into place only on an explicit commit (never by a destructor).
#pragma once
#include <boost/filesystem.hpp>

#include <string>
#include <vector>

namespace kms::core {

namespace fs = boost::filesystem;

/// "" when the target may be written; otherwise why not (exit code 2 material).
std::string check_target(const fs::path& target, bool force, const fs::path& source);

/// Temporary files of killed runs for this target (".NAME.kms-migrate-PID.tmp"
/// whose process is gone): removed, and their names returned for the report.
std::vector<std::string> remove_stale_temporaries(const fs::path& target);

class TemporaryDatabase {
 public:
  /// Names (does not create) a temporary file in the folder of `final_path`.
  explicit TemporaryDatabase(const fs::path& final_path);
  ~TemporaryDatabase();  ///< removes the temporary file (and any -journal/-wal) unless committed
  TemporaryDatabase(const TemporaryDatabase&) = delete;
  TemporaryDatabase& operator=(const TemporaryDatabase&) = delete;

  const fs::path& path() const { return temp_; }
  /// fsync the file, refuse if a -journal or -wal is left, rename over the
  /// final path, fsync the folder. Throws std::runtime_error on failure.
  void commit();
  /// Remove the temporary file now.
  void discard() noexcept;

 private:
  fs::path final_;
  fs::path temp_;
  bool done_ = false;
};

}  // namespace kms::core
