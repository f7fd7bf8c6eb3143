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
#include "private_folder.h"
#include "run_control.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

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

}  // namespace kms::core
