#include "file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "hashing.h"

namespace kms::core {
namespace {

FileStamp stamp_from(const struct stat& st) {
  return FileStamp{static_cast<std::int64_t>(st.st_size),
                   static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// O_NOATIME: reading the store does not even update the files' access times (a
// first read after a change would otherwise dirty every inode). The kernel allows
// it only to the files' owner (or root); after one refusal it is not asked again.
std::atomic<bool> noatime_allowed{true};

int open_for_reading(int dirfd, const char* name) {
  constexpr int kFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
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

/// SHA-256 of the whole open file, read from its start in bounded pieces; "" if it cannot be read.
std::string streamed_sha256(int fd) {
  Sha256 h;
  char buf[1 << 16];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "";
    if (n == 0) break;
    h.update(buf, static_cast<std::size_t>(n));
    at += n;
  }
  return h.hex_final();
}

}  // namespace

ReadResult read_record_file(int dirfd, const std::string& name, std::int64_t max_bytes) {
  ReadResult r;
  Fd f{open_for_reading(dirfd, name.c_str())};
  if (f.fd < 0) {
    if (errno == ELOOP) {
      r.status = ReadResult::Status::Symlink;
      return r;
    }
    r.error = std::strerror(errno);
    return r;
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    r.error = std::strerror(errno);
    return r;
  }
  if (!S_ISREG(st.st_mode)) {
    r.error = "not a regular file";
    return r;
  }
  r.stamp = stamp_from(st);
  if (st.st_size > max_bytes) {
    r.status = ReadResult::Status::TooLarge;
    r.sha256 = streamed_sha256(f.fd);
    return r;
  }
  // Read at most max_bytes + 1: a file that grew past the limit is still too large.
  r.bytes.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t got = 0;
  while (got < r.bytes.size()) {
    const ssize_t n = ::read(f.fd, r.bytes.data() + got, r.bytes.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      r.error = std::strerror(errno);
      r.bytes.clear();
      return r;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
    if (got == r.bytes.size() && static_cast<std::int64_t>(got) <= max_bytes) r.bytes.resize(got + 4096);
    if (static_cast<std::int64_t>(got) > max_bytes) {
      r.status = ReadResult::Status::TooLarge;
      r.bytes.clear();
      r.bytes.shrink_to_fit();
      r.sha256 = streamed_sha256(f.fd);
      return r;
    }
  }
  r.bytes.resize(got);
  r.stamp.size = static_cast<std::int64_t>(got);
  r.status = ReadResult::Status::Ok;
  return r;
}

std::optional<FileStamp> stamp_of(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  return stamp_from(st);
}

}  // namespace kms::core
