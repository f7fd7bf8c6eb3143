// The target database's name: whether it may be written, and the lock that
// keeps one run at a time on it (temporary_database.h builds the file).
#pragma once
#include <filesystem>
#include <string>

#include "failure.h"

namespace kms::core {

class CancelFlag;

enum class NewFile { Target, KeepDb };
/// Whether the target (or a rehearsal's --keep-db copy) may be written; if not,
/// why not (exit code 2). Only a regular file is ever replaced, and only
/// the target, with `force`.
Status check_target(const std::filesystem::path& target, bool force, const std::filesystem::path& source,
                    NewFile kind = NewFile::Target);

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

}  // namespace kms::core
