// A database under construction: built in a private folder (mode 0700, made
// by mkdtemp beside its final name: ".NAME.kms-migrate-PID-XXXXXX") and
// reached only through a descriptor of that folder (/proc/self/fd/N/NAME), so
// that no other user who can write to the folder of the final name can swap
// a link in for it or for SQLite's journal. Put in place only by an explicit
// publish(), never by a destructor.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "private_folder.h"

namespace kms::core {

class CancelFlag;

/// What a file is, beyond its name: the target as it was seen at the start.
/// An inode number is reused as soon as it is freed, so the birth time (where
/// the file system keeps one), the modification time and the size go with it;
/// a rename changes none of them.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t birth_ns = 0;  // 0 where the file system keeps none
  bool operator==(const FileId& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns && birth_ns == o.birth_ns;
  }
};
/// The FileId of whatever `p` names (not following a link), if anything.
std::optional<FileId> file_id_of(const std::filesystem::path& p);

class TemporaryDatabase {
 public:
  /// Makes the private folder beside `final_path` and the empty, owner-only
  /// file in it. Throws SystemError.
  explicit TemporaryDatabase(const std::filesystem::path& final_path);
  ~TemporaryDatabase();  ///< removes the file, its -journal/-wal and the folder unless published
  TemporaryDatabase(const TemporaryDatabase&) = delete;
  TemporaryDatabase& operator=(const TemporaryDatabase&) = delete;

  /// The name every connection opens: through the folder's descriptor.
  const std::filesystem::path& path() const { return path_; }
  /// The folder of the final name (for a diagnosis of a full file system).
  std::filesystem::path folder() const { return final_.parent_path(); }
  /// Asks the kernel, on a thread of its own, to start writing the file's dirty
  /// pages now (sync_file_range), so that the fsync before the commit has little
  /// left to wait for. The call can sleep in the block layer's write throttling,
  /// which is why it is not made on the caller's thread. Best effort.
  void start_writeback();
  /// Refuse if a -journal or -wal is left (InternalError); fsync the file (SystemError).
  void sync();
  /// After sync(): the file put at the final name, then the folder fsynced;
  /// false when only that fsync failed (the rename, the commit, is done).
  /// `replacing`: the file found at the final name at the start, which may be
  /// replaced (--force) only if it is still that file. Otherwise nothing that
  /// is at the final name now is ever replaced. Either way a Stop (exit 2)
  /// leaves what is there as it is; other failures throw SystemError.
  bool publish(std::optional<FileId> replacing = std::nullopt);
  /// Remove the file and the folder now.
  void discard() noexcept;

 private:
  void join_writeback() noexcept;

  std::filesystem::path final_;
  PrivateFolder folder_;
  std::string name_;  // of the file in the private folder
  std::filesystem::path path_;
  bool done_ = false;
  std::thread writeback_;
};

/// Copies a database into a temporary one (rehearse --keep-db), which is then
/// synced and published like the target. Throws SystemError, or stops when
/// `cancel` is requested.
void copy_database(const std::filesystem::path& from, const TemporaryDatabase& to, const CancelFlag* cancel = nullptr);

}  // namespace kms::core
