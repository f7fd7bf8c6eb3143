// Finding the Clients folder and classifying its entries (legacy-store.md section 1).
#pragma once
#include <boost/filesystem.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kms::core {

namespace fs = boost::filesystem;

/// The Clients folder for a --source naming Security, Mgrent or Clients (any case).
/// nullopt with `error` set when there is no store there.
std::optional<fs::path> find_clients_dir(const fs::path& source, std::string& error);

enum class EntryKind {
  RecordFile,     ///< regular file with a record name: parsed
  RecordSymlink,  ///< symbolic link with a record name: rejected, never followed
  NotRecord,      ///< anything else: skipped, never read
};

struct StoreEntry {
  std::string name;       ///< as named, relative to Clients
  std::string record_id;  ///< lower-cased name without ".ini"; "" for NotRecord
  EntryKind kind = EntryKind::NotRecord;
  std::string skip_reason;  ///< for NotRecord
};

/// The Clients folder, held open for the run: entries are examined and opened
/// relative to it (openat/fstatat), one path component each instead of the full path.
class StoreDir {
 public:
  /// Throws fs::filesystem_error when the folder cannot be opened.
  explicit StoreDir(fs::path clients);
  ~StoreDir();
  StoreDir(const StoreDir&) = delete;
  StoreDir& operator=(const StoreDir&) = delete;
  const fs::path& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  fs::path path_;
  int fd_ = -1;
};

/// True for "M" + 12 of [a-z0-9] + ".ini", case-insensitively.
bool is_record_file_name(const std::string& name);

/// Every entry of `clients`, sorted by name (bytewise), classified.
/// Throws fs::filesystem_error when the folder cannot be listed.
std::vector<StoreEntry> list_store(const StoreDir& clients);

}  // namespace kms::core
