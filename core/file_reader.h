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
  std::string bytes;    ///< the whole file when Ok
  FileStamp stamp;      ///< when the file could be opened
  std::string error;    ///< why, for Unreadable
};

/// Read `path` whole unless it is larger than `max_bytes`; never follows a link.
ReadResult read_record_file(const std::string& path, std::int64_t max_bytes);

/// Size and modification time, without following a link; nullopt when it cannot be examined.
std::optional<FileStamp> stamp_of(const std::string& path);

}  // namespace kms::core
