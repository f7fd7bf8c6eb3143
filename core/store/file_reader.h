// Reading one record file without following links and within a size limit.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace kms::core {

struct FileStamp {
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};

struct ReadResult {
  enum class Status { Ok, TooLarge, Unreadable, Symlink } status = Status::Unreadable;
  std::string bytes;   ///< the whole file when Ok
  FileStamp stamp;     ///< when the file could be opened
  std::string error;   ///< why, for Unreadable
  std::string sha256;  ///< for TooLarge: of the whole file, streamed in 64 KiB pieces (never held whole)
};

/// Read `name` in the folder open as `dirfd` whole unless it is larger than
/// `max_bytes`; never follows a link.
ReadResult read_record_file(int dirfd, const std::string& name, std::int64_t max_bytes);

/// Size and modification time of `name` in the folder open as `dirfd`, without
/// following a link; nullopt when it cannot be examined.
std::optional<FileStamp> stamp_of(int dirfd, const std::string& name);

}  // namespace kms::core
