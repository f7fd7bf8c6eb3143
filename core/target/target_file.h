// The target database: built in a clearly named temporary file beside it,
// renamed into place only on an explicit commit (never by a destructor).
#pragma once
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "failure.h"

namespace kms::core {

class CancelFlag;

enum class NewFile { Target, KeepDb };
/// Whether the target (or a rehearsal's --keep-db copy) may be written; if not,
/// why not (exit code 2). Only a regular file is ever replaced, and only
/// the target, with `force`.
Status check_target(const std::filesystem::path& target, bool force, const std::filesystem::path& source,
                    NewFile kind = NewFile::Target);

/// Temporary files that killed runs left for this target (".NAME.kms-migrate-PID.tmp"
/// and their -journal/-wal): removed, and their names returned. Call it only
/// while holding the TargetLock: then no other run can own them.
std::vector<std::string> remove_stale_temporaries(const std::filesystem::path& target);

/// One upgrade per target at a time: an exclusive flock on ".NAME.kms-migrate.lock"
/// beside the target. The kernel drops it when the process dies, so a killed
/// run never leaves it stuck; the file is removed when the lock is released.
class TargetLock {
 public:
  /// A Stop (exit 2) naming the other run when the target is busy, or why the lock cannot be had.
  explicit TargetLock(const std::filesystem::path& target);
  ~TargetLock();
  TargetLock(const TargetLock&) = delete;
  TargetLock& operator=(const TargetLock&) = delete;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

/// Every database the tool writes holds tokens and escrowed keys: it is
/// created owner-only (0600) whatever the umask, without following a link,
/// and must not exist yet. Throws SystemError.
void create_owner_only_file(const std::filesystem::path& p);

class TemporaryDatabase;
/// Copies a database into a temporary one (rehearse --keep-db), which is then
/// synced and published like the target. Throws SystemError, or stops when
/// `cancel` is requested.
void copy_database(const std::filesystem::path& from, const TemporaryDatabase& to, const CancelFlag* cancel = nullptr);

class TemporaryDatabase {
 public:
  /// Creates the (empty, owner-only) temporary file in the folder of `final_path`.
  explicit TemporaryDatabase(const std::filesystem::path& final_path);
  ~TemporaryDatabase();  ///< removes the temporary file (and any -journal/-wal) unless committed
  TemporaryDatabase(const TemporaryDatabase&) = delete;
  TemporaryDatabase& operator=(const TemporaryDatabase&) = delete;

  const std::filesystem::path& path() const { return temp_; }
  /// Asks the kernel, on a thread of its own, to start writing the file's dirty
  /// pages now (sync_file_range), so that the fsync before the commit has little
  /// left to wait for. The call can sleep in the block layer's write throttling,
  /// which is why it is not made on the caller's thread. Best effort.
  void start_writeback();
  /// Refuse if a -journal or -wal is left (InternalError); fsync the file (SystemError).
  void sync();
  enum class Replace { Yes, No };
  /// After sync(): rename to the final path (throws SystemError if it
  /// fails), then fsync the folder; false when only that fsync failed (the
  /// rename, the commit, is done). Replace::No: a file that appeared at the
  /// final path meanwhile is left alone, and the run stops (exit 2).
  bool publish(Replace replace = Replace::Yes);
  /// Remove the temporary file now.
  void discard() noexcept;

 private:
  void join_writeback() noexcept;

  std::filesystem::path final_;
  std::filesystem::path temp_;
  bool done_ = false;
  std::thread writeback_;
};

}  // namespace kms::core
