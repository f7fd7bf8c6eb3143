#include "target_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace kms::core {
namespace {

constexpr const char* kTempMarker = ".kms-migrate-";

void fsync_path(const fs::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open '" + p.string() + "' to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error("cannot sync '" + p.string() + "': " + std::strerror(err));
}

fs::path folder_of(const fs::path& p) {
  const fs::path parent = fs::absolute(p).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

bool is_within(const fs::path& inner, const fs::path& outer) {
  boost::system::error_code ec;
  const fs::path a = fs::weakly_canonical(inner, ec);
  const fs::path b = fs::weakly_canonical(outer, ec);
  auto ia = a.begin();
  for (auto ib = b.begin(); ib != b.end(); ++ib, ++ia) {
    if (ia == a.end() || *ia != *ib) return false;
  }
  return true;
}

}  // namespace

std::string check_target(const fs::path& target, bool force, const fs::path& source) {
  boost::system::error_code ec;
  const fs::path folder = folder_of(target);
  if (!fs::is_directory(folder, ec)) return "the target folder '" + folder.string() + "' does not exist";
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return "the target folder '" + folder.string() + "' is not writable: " + std::strerror(errno);
  }
  // The source is never written: refuse a target inside the store.
  if (is_within(folder, source)) {
    return "the target '" + target.string() + "' is inside the source store; choose a folder outside it";
  }
  const auto st = fs::symlink_status(target, ec);
  if (!ec && st.type() != fs::file_not_found) {
    if (st.type() == fs::directory_file) return "the target '" + target.string() + "' is a folder";
    if (!force) return "the target '" + target.string() + "' exists; use --force to replace it";
  }
  return "";
}

std::vector<std::string> remove_stale_temporaries(const fs::path& target) {
  std::vector<std::string> removed;
  const std::string prefix = "." + target.filename().string() + kTempMarker;
  boost::system::error_code ec;
  for (fs::directory_iterator it(folder_of(target), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // "<pid>.tmp" (or with -journal/-wal)
    const long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue;  // still running
    boost::system::error_code rm;
    if (fs::remove(it->path(), rm)) removed.push_back(name);
  }
  return removed;
}

TemporaryDatabase::TemporaryDatabase(const fs::path& final_path)
    : final_(fs::absolute(final_path)),
      temp_(folder_of(final_path) /
            ("." + final_path.filename().string() + kTempMarker + std::to_string(::getpid()) + ".tmp")) {}

TemporaryDatabase::~TemporaryDatabase() {
  if (!done_) discard();
}

void TemporaryDatabase::discard() noexcept {
  boost::system::error_code ec;
  fs::remove(temp_, ec);
  fs::remove(temp_.string() + "-journal", ec);
  fs::remove(temp_.string() + "-wal", ec);
  fs::remove(temp_.string() + "-shm", ec);
  done_ = true;
}

void TemporaryDatabase::commit() {
  boost::system::error_code ec;
  for (const char* suffix : {"-journal", "-wal"}) {
    if (fs::exists(temp_.string() + suffix, ec)) {
      throw std::runtime_error("a " + std::string(suffix + 1) + " file is left beside '" + temp_.string() +
                               "'; the database is not complete");
    }
  }
  fsync_path(temp_, O_RDONLY);
  if (::rename(temp_.c_str(), final_.c_str()) != 0) {
    throw std::runtime_error("cannot rename '" + temp_.string() + "' to '" + final_.string() + "': " +
                             std::strerror(errno));
  }
  done_ = true;
  fsync_path(final_.parent_path(), O_RDONLY | O_DIRECTORY);
}

}  // namespace kms::core
