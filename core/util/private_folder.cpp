#include "private_folder.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "failure.h"
#include "folder_entries.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

constexpr const char* kMarker = ".kms-migrate-";

/// A dead run's private folder: removed only if it is one (owner-only, this
/// user's) and holds nothing but what the tool makes in one (the output's
/// name, and SQLite's -journal, -wal and -shm beside it). Never recursive: a
/// folder of this user's that another user renamed to such a name keeps
/// whatever else it holds.
bool remove_private(const fs::path& folder, const std::string& output_name) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ours = ::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 07777) == 0700;
  const std::vector<std::string> names = ours ? names_in(fd) : std::vector<std::string>{};
  for (const auto& n : names) {
    if (n != output_name && n != output_name + "-journal" && n != output_name + "-wal" && n != output_name + "-shm")
      ours = false;
  }
  if (ours) {
    for (const auto& n : names) (void)::unlinkat(fd, n.c_str(), 0);
  }
  ::close(fd);
  return ours && ::rmdir(folder.c_str()) == 0;
}

/// The pid in what follows ".NAME.kms-migrate-" in a name the tool makes:
/// "PID-XXXXXX" (a private folder), "PID.tmp" or "PID[-N].partial" (earlier
/// versions); 0 for anything else (an output whose own name goes on like that
/// is another output: ".t.db.kms-migrate-9-x.kms-migrate-..." is not t.db's).
pid_t temporary_pid(const std::string& rest) {
  std::size_t digits = 0;
  while (digits < rest.size() && digits < 10 && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  if (digits == 0) return 0;
  const std::string tail = rest.substr(digits);
  const auto alnum = [](const std::string& t) {
    return std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
  };
  bool ours = tail == ".tmp" || tail == ".partial" || (tail.size() == 7 && tail[0] == '-' && alnum(tail.substr(1)));
  if (!ours && tail.size() > 9 && tail[0] == '-' && tail.compare(tail.size() - 8, 8, ".partial") == 0) {
    const std::string n = tail.substr(1, tail.size() - 9);
    ours = std::all_of(n.begin(), n.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
  }
  if (!ours) return 0;
  const long pid = std::strtol(rest.substr(0, digits).c_str(), nullptr, 10);
  return pid > 0 && pid <= 2147483647L ? static_cast<pid_t>(pid) : 0;
}

}  // namespace

PrivateFolder::PrivateFolder(const fs::path& output) {
  std::string templ =
      (folder_of(output) / ("." + output.filename().string() + kMarker + std::to_string(::getpid()) + "-XXXXXX"))
          .string();
  if (!::mkdtemp(templ.data())) throw SystemError("create the private folder", templ, errno);
  path_ = templ;
  fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    ::rmdir(path_.c_str());
    throw SystemError("create the private folder", path_.string(), err);
  }
  // Opened by name: between mkdtemp and open another user who can write to the
  // folder may have put a folder of theirs there. Only ours, empty, is used
  // (and looked at through the descriptor, before anything is done to it).
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || st.st_uid != ::geteuid() || !names_in(fd_).empty()) {
    ::close(fd_);
    fd_ = -1;
    throw Stop(ExitCode::Usage, "the private folder '" + path_.string() +
                                    "' was replaced by another user's as it was made; the folder of '" +
                                    output.string() + "' is not safe to write in (it is writable by others)");
  }
  if (::fchmod(fd_, 0700) != 0) {  // owner-only whatever the umask
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    ::rmdir(path_.c_str());
    throw SystemError("create the private folder", path_.string(), err);
  }
}

fs::path folder_of(const fs::path& p) {
  const fs::path parent = fs::absolute(p).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

PrivateFolder::~PrivateFolder() {
  if (kept_) {
    if (fd_ >= 0) ::close(fd_);
    return;
  }
  remove();
}

fs::path PrivateFolder::through_fd(const std::string& name) const {
  return fs::path("/proc/self/fd/" + std::to_string(fd_)) / name;
}

void PrivateFolder::remove() noexcept {
  if (fd_ < 0) return;
  // By name, and only while that name is still our folder.
  struct stat ours {
  }, named{};
  if (::fstat(fd_, &ours) == 0 && ::lstat(path_.c_str(), &named) == 0 && ours.st_ino == named.st_ino &&
      ours.st_dev == named.st_dev) {
    (void)::rmdir(path_.c_str());
  }
  ::close(fd_);
  fd_ = -1;
}

std::vector<std::string> remove_stale_private(const fs::path& output, bool (*keep)(const fs::path& entry)) {
  std::vector<std::string> removed;
  const std::string prefix = "." + output.filename().string() + kMarker;
  const fs::path folder = folder_of(output);
  for (const auto& name : names_starting(folder, prefix)) {
    // ".NAME.kms-migrate-PID-XXXXXX" (or "-PID.tmp", "-PID.partial"): a run that
    // is alive keeps its own, even if its lock file was taken away.
    const pid_t pid = temporary_pid(name.substr(prefix.size()));
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM) continue;
    const fs::path p = folder / name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || st.st_uid != ::geteuid()) continue;
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) continue;
    if (keep && keep(p)) continue;
    const bool gone = S_ISREG(st.st_mode) ? ::unlink(p.c_str()) == 0 : remove_private(p, output.filename().string());
    if (gone) removed.push_back(name);
  }
  return removed;
}

}  // namespace kms::core
