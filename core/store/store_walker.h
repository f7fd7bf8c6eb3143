// Finding the Clients folder and classifying its entries (docs/legacy-store.md section 1).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "failure.h"
#include "sorted_strings.h"

namespace kms::core {

class CancelFlag;

/// The Clients folder for a --source naming Security, Mgrent or Clients (any case).
/// The error (exit 2) names the folder and says what was expected there.
/// A cancel while the folders are searched is an Error of kind Cancelled.
Result<std::filesystem::path> find_clients_dir(const std::filesystem::path& source, const CancelFlag* cancel = nullptr);

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
  /// A Stop (exit 2) when the folder does not exist or may not be opened; a
  /// SystemError (exit 3) when the machine fails (too many open files, I/O).
  explicit StoreDir(std::filesystem::path clients);
  ~StoreDir();
  StoreDir(const StoreDir&) = delete;
  StoreDir& operator=(const StoreDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_; }
  /// "" while the path still names the folder held open; else, in words, that it
  /// was moved, removed or replaced (the run's listing is of the folder held open,
  /// so a store renamed under the run would otherwise go unnoticed).
  std::string moved() const;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  unsigned long long dev_ = 0, ino_ = 0;
};

/// The part of a record file's name its record id is made of (the first 13
/// characters), and the record id itself (that part in lower case).
inline std::string_view record_id_part(std::string_view name) { return name.substr(0, 13); }
std::string record_id_of_name(std::string_view name);

/// True for "M" + 12 of [a-z0-9] + ".ini", case-insensitively.
bool is_record_file_name(const std::string& name);

/// The entries of `clients` sorted by name (bytewise), with the type the folder
/// gave for each, classified on demand. Kept in a temporary file, a few blocks
/// of names in memory (SortedStrings): a store of a million files costs the run
/// no memory for its listing. Copies share the names; any thread may read them.
class StoreListing {
 public:
  enum class Type : std::uint8_t { Regular, Symlink, Directory, Other, Unknown };
  std::size_t size() const { return names_ ? names_->size() : 0; }
  /// Entry `i`'s name (a copy).
  std::string name(std::size_t i) const { return names_->at(i).first; }
  /// Entry `i`, classified (docs/legacy-store.md section 1).
  StoreEntry entry(std::size_t i) const;

 private:
  friend StoreListing list_names(const StoreDir& clients, const CancelFlag* cancel);
  std::shared_ptr<const SortedStrings> names_;  // the tag is the Type
};

/// The entries of `clients`, sorted by name. Throws SystemError when the
/// folder cannot be listed (or holds a name over 64 KiB, or 4 GiB of names);
/// answers `cancel` (when given) every 1,024 entries.
StoreListing list_names(const StoreDir& clients, const CancelFlag* cancel);

/// Every entry of `clients`, sorted by name (bytewise), classified.
/// Throws SystemError when the folder cannot be listed.
std::vector<StoreEntry> list_store(const StoreDir& clients);

}  // namespace kms::core
