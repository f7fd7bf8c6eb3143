#include "temp_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "failure.h"

namespace kms::core {
namespace {

constexpr std::size_t kBuffer = 256 * 1024;

std::string temp_folder() {
  const char* v = std::getenv("TMPDIR");
  return v && *v ? std::string(v) : std::string("/tmp");
}

/// A failed write or read of a temporary file: a zero-byte write is a full device.
[[noreturn]] void fail(const char* operation, int err) {
  throw SystemError(std::string(operation) + " a temporary file in", temp_folder(), err);
}

}  // namespace

TempSpool::TempSpool() {
  const std::string dir = temp_folder();
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = dir + "/kms-migrate-spool-XXXXXX";  // a file system without O_TMPFILE
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ >= 0) ::unlink(name.c_str());
  }
  if (fd_ < 0) {
    const int err = errno;
    const std::string why =
        "cannot create a temporary file in '" + dir + "': " + std::strerror(err) + " (set TMPDIR to a writable folder)";
    // A folder that is missing or not writable is the operator's to fix (exit 2); anything else is an I/O error.
    if (err == ENOENT || err == ENOTDIR || err == EACCES || err == EPERM || err == EROFS)
      throw Stop(ExitCode::Usage, why);
    throw SystemError("create a temporary file in", dir, err);
  }
  buffer_.reserve(kBuffer);
}

TempSpool::~TempSpool() {
  if (fd_ >= 0) ::close(fd_);
}

void TempSpool::append(const void* data, std::size_t n) {
  if (buffer_.size() + n > kBuffer) flush();
  if (n > kBuffer) {
    buffer_.assign(static_cast<const char*>(data), n);
    flush();
    return;
  }
  buffer_.append(static_cast<const char*>(data), n);
}

void TempSpool::append_record(std::string_view bytes) {
  const auto n = static_cast<std::uint32_t>(bytes.size());
  append(&n, sizeof n);
  append(bytes.data(), bytes.size());
}

void TempSpool::write_all(std::uint64_t offset, const void* data, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t w = ::pwrite(fd_, static_cast<const char*>(data) + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write", w < 0 ? errno : ENOSPC);
    done += static_cast<std::size_t>(w);
  }
}

void TempSpool::flush() {
  write_all(written_, buffer_.data(), buffer_.size());
  written_ += buffer_.size();
  buffer_.clear();
}

bool TempSpool::read_at(std::uint64_t offset, void* data, std::size_t n) {
  if (!buffer_.empty()) flush();
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, static_cast<char*>(data) + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("read", errno);
    if (r == 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

void TempSpool::write_at(std::uint64_t offset, const void* data, std::size_t n) {
  if (offset + n > written_) throw InternalError("TempSpool::write_at past what was flushed");
  write_all(offset, data, n);
}

TempSpool::Reader::Reader(TempSpool& spool, std::uint64_t offset, std::uint64_t end, std::size_t buffer)
    : spool_(spool), at_(offset), end_(end), piece_(std::max<std::size_t>(buffer, 64)) {
  spool_.flush();
  if (end_ > spool_.written_) end_ = spool_.written_;
}

bool TempSpool::Reader::fill() {
  buf_.erase(0, pos_);
  pos_ = 0;
  if (at_ >= end_) return false;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(piece_, end_ - at_));
  const std::size_t had = buf_.size();
  buf_.resize(had + want);
  if (!spool_.read_at(at_, buf_.data() + had, want)) {
    buf_.resize(had);
    return false;
  }
  at_ += want;
  return true;
}

bool TempSpool::Reader::read(void* data, std::size_t n) {
  while (buf_.size() - pos_ < n) {
    if (!fill()) return false;
  }
  std::memcpy(data, buf_.data() + pos_, n);
  pos_ += n;
  return true;
}

bool TempSpool::Reader::next_record(std::string& out) {
  std::uint32_t n = 0;
  if (!read(&n, sizeof n)) return false;
  while (buf_.size() - pos_ < n) {
    if (!fill()) throw InternalError("a temporary file ends inside a record");
  }
  out.assign(buf_.data() + pos_, n);
  pos_ += n;
  return true;
}

}  // namespace kms::core
