#include "file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "failure.h"
#include "hashing.h"
#include "run_control.h"
#include "test_stop_point.h"

namespace kms::core {
namespace {

FileStamp stamp_from(const struct stat& st) {
  FileStamp s;
  s.size = static_cast<std::int64_t>(st.st_size);
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.type = static_cast<std::uint32_t>(st.st_mode & S_IFMT);
  return s;
}

// O_NOATIME: reading the store does not even update the files' access times (a
// first read after a change would otherwise dirty every inode). The kernel allows
// it only to the files' owner (or root); after one refusal it is not asked again.
std::atomic<bool> noatime_allowed{true};

int open_for_reading(int dirfd, const char* name) {
  constexpr int kFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  if (noatime_allowed.load(std::memory_order_relaxed)) {
    const int fd = ::openat(dirfd, name, kFlags | O_NOATIME);
    if (fd >= 0 || errno != EPERM) return fd;
    noatime_allowed.store(false, std::memory_order_relaxed);
  }
  return ::openat(dirfd, name, kFlags);
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void gone(const std::string& name) {
  throw Stop(ExitCode::DataProblem, "source changed during the run: '" + name + "' was listed and is gone");
}

/// SHA-256 of the first `size` bytes of the open file, read in bounded pieces;
/// the cancel flag is asked between pieces (a sparse file of a terabyte is read
/// for hours), and a file that grows is hashed only up to the size it had.
std::string streamed_sha256(int fd, std::int64_t size, const std::string& name, const CancelFlag* cancel) {
  Sha256 h;
  char buf[1 << 16];
  for (std::int64_t at = 0; at < size;) {
    if (at == 0) test_stop_point("hashing", cancel);
    throw_if_cancelled(cancel);
    const auto want = static_cast<std::size_t>(std::min<std::int64_t>(sizeof buf, size - at));
    const ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("read", name, errno);
    if (n == 0) break;  // it shrank: the re-check of the source says so
    h.update(buf, static_cast<std::size_t>(n));
    at += n;
  }
  return h.hex_final();
}

}  // namespace

std::string FileStamp::difference(const FileStamp& o) const {
  std::string out;
  const auto add = [&](bool differs, const char* what) {
    if (differs) out += std::string(out.empty() ? "" : ", ") + what;
  };
  add(type != o.type, "type");
  add(inode != o.inode, "inode (replaced by another file)");
  add(size != o.size, "size");
  add(mtime_ns != o.mtime_ns, "modification time");
  add(ctime_ns != o.ctime_ns, "status-change time");
  return out;
}

namespace {

/// Throws a Stop (exit 1, the source changed) when the open file is no longer
/// as it was when opened: it grew, shrank or was written while it was read.
void check_unchanged_while_read(int fd, const FileStamp& opened, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw SystemError("examine (fstat)", name, errno);
  const FileStamp now = stamp_from(st);
  if (!(now == opened)) {
    throw Stop(ExitCode::DataProblem, "source changed during the run: '" + name + "' changed while it was read (" +
                                          opened.difference(now) + ")");
  }
}

}  // namespace

ReadResult read_record_file(int dirfd, const std::string& name, std::int64_t max_bytes, const CancelFlag* cancel) {
  ReadResult r;
  Fd f{open_for_reading(dirfd, name.c_str())};
  if (f.fd < 0) {
    if (errno == ELOOP) {
      r.status = ReadResult::Status::Symlink;
      return r;
    }
    if (errno == ENOENT || errno == ENOTDIR) gone(name);
    if (errno == ENXIO || errno == ENODEV) return r;  // a socket or a device: not a file (NotRegular)
    throw SystemError("open", name, errno);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw SystemError("examine (fstat)", name, errno);
  r.stamp = stamp_from(st);
  if (!S_ISREG(st.st_mode)) return r;  // NotRegular: what the entry is, not a failure
  if (st.st_size > max_bytes) {
    r.status = ReadResult::Status::TooLarge;
    r.sha256 = streamed_sha256(f.fd, st.st_size, name, cancel);
    check_unchanged_while_read(f.fd, r.stamp, name);
    return r;
  }
  // One byte more than its size is asked for: a file that grew while read is seen.
  r.bytes.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t got = 0;
  while (got < r.bytes.size()) {
    const ssize_t n = ::read(f.fd, r.bytes.data() + got, r.bytes.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("read", name, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  check_unchanged_while_read(f.fd, r.stamp, name);
  if (got != r.bytes.size() - 1) {  // its size changed, its stamp not (yet): changed all the same
    throw Stop(ExitCode::DataProblem, "source changed during the run: '" + name + "' changed while it was read (size)");
  }
  r.bytes.resize(got);
  r.status = ReadResult::Status::Ok;
  return r;
}

std::optional<FileStamp> stamp_of(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw SystemError("examine (fstatat)", name, errno);
  }
  return stamp_from(st);
}

}  // namespace kms::core
