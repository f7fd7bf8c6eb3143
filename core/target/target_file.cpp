#include "target_file.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "failure.h"
#include "run_control.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

constexpr const char* kTempMarker = ".kms-migrate-";

void fsync_path(const fs::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw SystemError("open", p.string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw SystemError("sync", p.string(), err);
}

fs::path folder_of(const fs::path& p) {
  const fs::path parent = fs::absolute(p).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

bool is_within(const fs::path& inner, const fs::path& outer) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(inner, ec);
  const fs::path b = fs::weakly_canonical(outer, ec);
  auto ia = a.begin();
  for (auto ib = b.begin(); ib != b.end(); ++ib, ++ia) {
    if (ia == a.end() || *ia != *ib) return false;
  }
  return true;
}

/// open(2) for a new file of ours: never through a link, never inherited by a child.
int open_new_owner_only(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw SystemError("create", p.string(), errno);
  if (::fchmod(fd, 0600) != 0) {  // the umask may have taken the owner's bits too
    const int err = errno;
    ::close(fd);
    ::unlink(p.c_str());
    throw SystemError("make owner-only", p.string(), err);
  }
  return fd;
}

}  // namespace

void create_owner_only_file(const fs::path& p) { ::close(open_new_owner_only(p)); }

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
  }
  ::close(in);
  if (::close(out) != 0 && !error) error.emplace("write", to.path().string(), errno);
  if (error) throw *error;
  if (cancelled) throw_if_cancelled(cancel);
}

namespace {

const char* kind_of(const fs::file_status& st) {
  switch (st.type()) {
    case fs::file_type::directory:
      return "a folder";
    case fs::file_type::symlink:
      return "a symbolic link";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::socket:
      return "a socket";
    default:
      return "not a regular file";
  }
}

std::string target_refusal(const fs::path& target, bool force, const fs::path& source, NewFile kind) {
  std::error_code ec;
  const std::string label = kind == NewFile::KeepDb ? "the --keep-db file" : "the target";
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..")
    return label + " '" + target.string() + "' names a folder, not a file";
  const fs::path folder = folder_of(target);
  if (!fs::is_directory(folder, ec)) {
    return label + "'s folder '" + folder.string() + "' " +
           (fs::exists(folder, ec) ? "is not a folder" : "does not exist");
  }
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return label + "'s folder '" + folder.string() + "' is not writable: " + std::strerror(errno);
  }
  // The source is never written: refuse a target inside the store.
  if (is_within(folder, source)) {
    return label + " '" + target.string() + "' is inside the source store '" + source.string() +
           "'; choose a folder outside it";
  }
  const auto st = fs::symlink_status(target, ec);
  if (!ec && st.type() != fs::file_type::not_found) {
    if (st.type() != fs::file_type::regular) {
      return label + " '" + target.string() + "' exists and is " + kind_of(st) +
             "; kms-migrate writes only a new file or, with --force, over a regular file";
    }
    if (kind == NewFile::KeepDb) {
      return label + " '" + target.string() + "' exists; rehearse never replaces a file: name one that does not exist";
    }
    if (!force) return label + " '" + target.string() + "' exists; use --force to replace it";
  }
  return "";
}

}  // namespace

Status check_target(const fs::path& target, bool force, const fs::path& source, NewFile kind) {
  std::string why = target_refusal(target, force, source, kind);
  if (why.empty()) return Status::success();
  return Error{ExitCode::Usage, std::move(why), target.string(), 0};
}

std::vector<std::string> remove_stale_temporaries(const fs::path& target) {
  std::vector<std::string> removed;
  const std::string prefix = "." + target.filename().string() + kTempMarker;
  std::error_code ec;
  for (fs::directory_iterator it(folder_of(target), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::error_code rm;
    if (fs::remove(it->path(), rm)) removed.push_back(name);
  }
  return removed;
}

TargetLock::TargetLock(const fs::path& target)
    : path_(folder_of(target) / ("." + target.filename().string() + ".kms-migrate.lock")) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      const int err = errno;
      if (err == ELOOP) {
        throw Stop(ExitCode::Usage, SystemError("create the lock file", path_.string(), err).what() +
                                        std::string(" (it is a symbolic link: remove it)"));
      }
      throw_path_failure("create the lock file", path_.string(), err);
    }
    // Only a plain file of ours, with no other name, is ever written to (truncated, given our pid).
    struct stat own {};
    if (::fstat(fd_, &own) != 0 || !S_ISREG(own.st_mode) || own.st_uid != ::geteuid() || own.st_nlink != 1) {
      ::close(fd_);
      fd_ = -1;
      throw Stop(ExitCode::Usage,
                 "the lock file '" + path_.string() +
                     "' is not a plain file of this user (a link, a special file, or another owner's): remove it");
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char holder[32] = {0};
      (void)!::pread(fd_, holder, sizeof holder - 1, 0);
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK) {
        throw Stop(ExitCode::Usage, "another kms-migrate run (pid " + std::string(holder[0] ? holder : "?") +
                                        ") is writing '" + target.string() + "'; wait for it to finish");
      }
      throw SystemError("lock", path_.string(), err);  // not held by another: the machine's (no locks left)
    }
    // The holder before us may have removed the file after we opened it: lock the one on disk.
    struct stat a {
    }, b{};
    if (::fstat(fd_, &a) == 0 && ::stat(path_.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
      const std::string pid = std::to_string(::getpid());
      (void)!::ftruncate(fd_, 0);
      (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
      return;
    }
    ::close(fd_);
    fd_ = -1;
  }
  throw Stop(ExitCode::Usage, "cannot lock '" + path_.string() + "': it keeps being replaced");
}

TargetLock::~TargetLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding the lock
  ::close(fd_);
}

TemporaryDatabase::TemporaryDatabase(const fs::path& final_path)
    : final_(fs::absolute(final_path)),
      temp_(folder_of(final_path) /
            ("." + final_path.filename().string() + kTempMarker + std::to_string(::getpid()) + ".tmp")) {
  create_owner_only_file(temp_);  // SQLite then opens it, and gives its -journal the same mode
}

TemporaryDatabase::~TemporaryDatabase() {
  join_writeback();
  if (!done_) discard();
}

void TemporaryDatabase::discard() noexcept {
  join_writeback();
  std::error_code ec;
  fs::remove(temp_, ec);
  fs::remove(temp_.string() + "-journal", ec);
  fs::remove(temp_.string() + "-wal", ec);
  fs::remove(temp_.string() + "-shm", ec);
  done_ = true;
}

void TemporaryDatabase::start_writeback() {
  join_writeback();
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
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
  std::error_code ec;
  for (const char* suffix : {"-journal", "-wal"}) {
    if (fs::exists(temp_.string() + suffix, ec)) {
      throw InternalError("a " + std::string(suffix + 1) + " file is left beside '" + temp_.string() +
                          "'; the database is not complete");
    }
  }
  fsync_path(temp_, O_RDONLY);
}

bool TemporaryDatabase::publish(Replace replace) {
  if (replace == Replace::No) {
    // Nothing that appeared at the final name during the run is ever replaced.
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, final_.c_str(), RENAME_NOREPLACE) != 0) {
      const int err = errno;
      if (err == EEXIST) {
        throw Stop(ExitCode::Usage, "'" + final_.string() +
                                        "' appeared during the run; it was left as it is and nothing was put "
                                        "in its place");
      }
      throw SystemError("rename '" + temp_.string() + "' to", final_.string(), err);
    }
  } else if (::rename(temp_.c_str(), final_.c_str()) != 0) {
    throw SystemError("rename '" + temp_.string() + "' to", final_.string(), errno);
  }
  done_ = true;
  try {
    fsync_path(final_.parent_path(), O_RDONLY | O_DIRECTORY);
  } catch (const SystemError&) {
    return false;
  }
  return true;
}

}  // namespace kms::core
