#include "temporary_database.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "failure.h"
#include "private_folder.h"
#include "run_control.h"
#include "test_stop_point.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

/// fsync of a folder; false when it failed.
bool sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

Stop left_alone(const fs::path& final_path, const char* what) {
  return Stop(ExitCode::Usage,
              "'" + final_path.string() + "' " + what + "; it was left as it is and nothing was put in its place");
}

/// The FileId of `name` under `dirfd` (AT_FDCWD: a path), not following a link.
std::optional<FileId> file_id_at(int dirfd, const char* name) {
  struct statx sx {};
  const unsigned mask = STATX_INO | STATX_SIZE | STATX_MTIME | STATX_BTIME;
  if (::statx(dirfd, name, AT_SYMLINK_NOFOLLOW, mask, &sx) != 0) return std::nullopt;
  const auto ns = [](const statx_timestamp& t) { return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; };
  FileId id;
  id.dev = ::makedev(sx.stx_dev_major, sx.stx_dev_minor);
  id.ino = sx.stx_ino;
  id.size = static_cast<std::int64_t>(sx.stx_size);
  id.mtime_ns = ns(sx.stx_mtime);
  id.birth_ns = (sx.stx_mask & STATX_BTIME) ? ns(sx.stx_btime) : 0;
  return id;
}

}  // namespace

std::optional<FileId> file_id_of(const fs::path& p) { return file_id_at(AT_FDCWD, p.c_str()); }

TemporaryDatabase::TemporaryDatabase(const fs::path& final_path)
    : final_(fs::absolute(final_path)), folder_(final_path), name_(final_path.filename().string()) {
  path_ = folder_.through_fd(name_);
  // Owner-only whatever the umask (SQLite gives its -journal the same mode).
  const int fd = ::openat(folder_.fd(), name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    discard();
    throw SystemError("create", (folder_.path() / name_).string(), err);
  }
  ::close(fd);
}

TemporaryDatabase::~TemporaryDatabase() {
  join_writeback();
  if (!done_) discard();
}

void TemporaryDatabase::discard() noexcept {
  join_writeback();
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    (void)::unlinkat(folder_.fd(), (name_ + suffix).c_str(), 0);
  }
  done_ = true;
  folder_.remove();
}

void TemporaryDatabase::start_writeback() {
  join_writeback();
  const int fd = ::openat(folder_.fd(), name_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  const auto write_out = [fd] {
    ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    ::close(fd);
  };
  try {
    writeback_ = std::thread(write_out);
  } catch (const std::system_error&) {
    write_out();  // no thread to be had: here, then
  }
}

void TemporaryDatabase::join_writeback() noexcept {
  if (writeback_.joinable()) writeback_.join();
}

void TemporaryDatabase::sync() {
  join_writeback();
  struct stat st {};
  for (const char* suffix : {"-journal", "-wal"}) {
    if (::fstatat(folder_.fd(), (name_ + suffix).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      throw InternalError("a " + std::string(suffix + 1) + " file is left beside '" +
                          (folder_.path() / name_).string() + "'; the database is not complete");
    }
  }
  const int fd = ::openat(folder_.fd(), name_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw SystemError("open", (folder_.path() / name_).string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw SystemError("sync", (folder_.path() / name_).string(), err);
}

bool TemporaryDatabase::publish(std::optional<FileId> replacing) {
  const auto rename_failed = [&](int err) {
    return SystemError("rename '" + (folder_.path() / name_).string() + "' to", final_.string(), err);
  };
  bool exchanged = false;
  if (replacing) {
    // Swapped with what is at the final name, which then lies in the private
    // folder to be looked at: removed if it is the file seen at the start,
    // else swapped back.
    if (::renameat2(folder_.fd(), name_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
      exchanged = true;
      if (!(file_id_at(folder_.fd(), name_.c_str()) == replacing)) {
        if (::renameat2(folder_.fd(), name_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) != 0) {
          throw rename_failed(errno);
        }
        throw left_alone(final_, "was replaced by another file during the run");
      }
      (void)::unlinkat(folder_.fd(), name_.c_str(), 0);
    } else if (errno == EINVAL || errno == ENOSYS) {  // a file system without the exchange
      if (!(file_id_of(final_) == replacing)) throw left_alone(final_, "was replaced by another file during the run");
      if (::renameat(folder_.fd(), name_.c_str(), AT_FDCWD, final_.c_str()) != 0) throw rename_failed(errno);
      exchanged = true;
    } else if (errno != ENOENT) {
      throw rename_failed(errno);
    }
  }
  if (!exchanged) {
    // Nothing that appeared at the final name during the run is ever replaced.
    if (::renameat2(folder_.fd(), name_.c_str(), AT_FDCWD, final_.c_str(), RENAME_NOREPLACE) != 0) {
      int err = errno;
      if (err == EINVAL || err == ENOSYS) {  // without RENAME_NOREPLACE: a new link cannot replace either
        err = ::linkat(folder_.fd(), name_.c_str(), AT_FDCWD, final_.c_str(), 0) == 0 ? 0 : errno;
        if (err == 0) (void)::unlinkat(folder_.fd(), name_.c_str(), 0);
      }
      if (err == EEXIST) throw left_alone(final_, "appeared during the run");
      if (err != 0) throw rename_failed(err);
    }
  }
  done_ = true;
  folder_.remove();
  return sync_folder(final_.parent_path());
}

void copy_database(const fs::path& from, const TemporaryDatabase& to, const CancelFlag* cancel) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw SystemError("open", from.string(), errno);
  const int out = ::open(to.path().c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  if (out < 0) {
    const int err = errno;
    ::close(in);
    throw SystemError("open", to.path().string(), err);
  }
  // The first failure: the operation, the file, errno (a cancel stops the copy too).
  std::optional<SystemError> error;
  bool cancelled = false;
  bool first = true;
  char buf[1 << 16];
  for (;;) {
    if (cancel && cancel->requested()) {
      cancelled = true;
      break;
    }
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error.emplace("read", from.string(), errno);
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && !error;) {
      const ssize_t w = ::write(out, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0)
        error.emplace("write", to.path().string(), errno);
      else
        done += w;
    }
    if (error) break;
    if (first) test_stop_point("keep-db copy", cancel);  // the tests' handshake: a copy under way
    first = false;
  }
  ::close(in);
  if (::close(out) != 0 && !error) error.emplace("write", to.path().string(), errno);
  if (error) throw *error;
  if (cancelled) throw_if_cancelled(cancel);
}

}  // namespace kms::core
