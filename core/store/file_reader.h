// Reading one record file without following links and within a size limit.
// A failure of the system (open, stat, read) is a SystemError, never a fault of
// the file: the run stops (docs/commands.md, "System errors").
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace kms::core {

class CancelFlag;

/// The largest --max-record-size: a record file is read whole into memory up
/// to this (a real record is 1 to 20 KB); larger files are only hashed.
inline constexpr std::int64_t kMaxRecordSizeCeiling = std::int64_t{64} << 20;
/// The size limit when the operator gives none (--max-record-size).
inline constexpr std::int64_t kDefaultMaxRecordSize = std::int64_t{1} << 20;

/// What the run saw of an entry, to find it changed later: its type, inode,
/// size, modification and status-change times.
struct FileStamp {
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  std::uint32_t type = 0;  ///< st_mode & S_IFMT
  bool operator==(const FileStamp& o) const {
    return size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns && inode == o.inode && type == o.type;
  }
  /// What differs from `o`, in words ("size, modification time"); "" when nothing does.
  std::string difference(const FileStamp& o) const;
};

struct ReadResult {
  enum class Status { Ok, TooLarge, NotRegular, Symlink } status = Status::NotRegular;
  std::string bytes;   ///< the whole file when Ok
  FileStamp stamp;     ///< when the file could be opened
  std::string sha256;  ///< for TooLarge: of its first stamp.size bytes, streamed in 64 KiB pieces (never held whole)
};

/// Reads `name` in the folder open as `dirfd` whole unless it is larger than
/// `max_bytes`; never follows a link. A file that disappeared since it was
/// listed is a Stop (exit 1, the source changed); any other failure of the
/// system a SystemError. A too-large file is hashed up to the size it had when
/// opened, answering `cancel` between pieces. A file that changed while it was
/// read or hashed (grew, shrank, was written: its size, times or inode differ
/// after the last byte from when it was opened) is a Stop (exit 1).
ReadResult read_record_file(int dirfd, const std::string& name, std::int64_t max_bytes,
                            const CancelFlag* cancel = nullptr);

/// The stamp of `name` in the folder open as `dirfd`, without following a link;
/// nullopt when it no longer exists. Any other failure is a SystemError.
std::optional<FileStamp> stamp_of(int dirfd, const std::string& name);

}  // namespace kms::core
