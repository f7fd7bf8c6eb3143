#include "upgrade_destination.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "existing_target.h"
#include "failure.h"
#include "folder_entries.h"
#include "run_paths.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::core::detail {
namespace {

constexpr const char* kScratchPrefix = "kms-migrate-rehearsal-";

/// A rehearsal's scratch folder: "$TMPDIR/kms-migrate-rehearsal-PID-XXXXXX",
/// mode 0700 (mkdtemp), locked (flock on the folder) while the run lives, so
/// that a later run can tell a folder whose run is gone from one in use.
class ScratchFolder {
 public:
  explicit ScratchFolder(const fs::path& tmp) {
    std::string templ = (tmp / (kScratchPrefix + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (!::mkdtemp(templ.data())) {
      throw_path_failure("create a scratch folder in", tmp.string(), errno);
    }
    path_ = templ;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ >= 0) (void)::flock(fd_, LOCK_EX | LOCK_NB);
  }
  // Emptied through the descriptor held since its creation, so that even with
  // no descriptor left (too many open files) nothing stays behind; anything
  // but a plain file in it (a private folder of a database) is removed as a tree.
  ~ScratchFolder() {
    DIR* dir = fd_ >= 0 ? ::fdopendir(fd_) : nullptr;
    if (dir) {
      while (const struct dirent* d = ::readdir(dir)) {
        const std::string_view n(d->d_name);
        if (n != "." && n != "..") (void)::unlinkat(::dirfd(dir), d->d_name, 0);
      }
      ::closedir(dir);  // closes fd_
    } else if (fd_ >= 0) {
      ::close(fd_);
    }
    if (::rmdir(path_.c_str()) != 0) (void)remove_tree(path_);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  int fd_ = -1;
};

/// The pid in "kms-migrate-rehearsal-PID-XXXXXX", or 0 (a name of an older version).
pid_t scratch_pid(const std::string& name) {
  const std::string rest = name.substr(std::strlen(kScratchPrefix));
  const auto dash = rest.find('-');
  if (dash == std::string::npos) return 0;
  const auto n = parse_decimal(rest.substr(0, dash));
  return n && *n > 0 && *n < (1LL << 31) ? static_cast<pid_t>(*n) : 0;
}

/// Scratch folders of this user's earlier rehearsals that were killed: their
/// process is gone and nobody holds their lock. Removed; their paths returned.
std::vector<std::string> remove_stale_scratch(const fs::path& tmp) {
  std::vector<std::string> removed;
  for (const auto& name : names_starting(tmp, kScratchPrefix)) {
    const fs::path path = tmp / name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
    const pid_t pid = scratch_pid(name);
    if (pid == ::getpid() || (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM))) continue;  // its run lives
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    const bool unused = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (unused && remove_tree(path)) removed.push_back(path.string());
    ::close(fd);
  }
  return removed;
}

class UpgradeTarget final : public Destination {
  /// A second upgrade without --force: what is there, and what to do, instead of only "exists".
  void refuse_an_existing_target() const {
    if (const auto why = second_upgrade_refusal(opt_.target, opt_.source)) throw Stop(ExitCode::Usage, *why);
  }

 public:
  explicit UpgradeTarget(const UpgradeOptions& o) : opt_(o) {}
  fs::path prepare(std::vector<std::string>& notes) override {
    if (opt_.force == Overwrite::No) refuse_an_existing_target();
    stop_unless(check_target(opt_.target, opt_.force == Overwrite::Yes, opt_.source, NewFile::Target));
    lock_.emplace(opt_.target);  // held until the run ends, success or not (a busy target: a Stop, exit 2)
    if (opt_.force == Overwrite::Yes) replacing_ = file_id_of(opt_.target);  // only this file may be replaced
    for (const auto& n : remove_stale_private(opt_.target)) {
      notes.push_back("removed the temporary file left by an earlier run that was stopped: " + n);
    }
    return opt_.target;
  }
  void built(TemporaryDatabase& temp, const Refusal& refusal) override {
    temp.start_writeback();  // the kernel writes while the verification reads
    if (refusal.store) throw Stop(ExitCode::DataProblem, *refusal.store + "; nothing was written at the target");
    if (refusal.blocked) {
      throw Stop(ExitCode::DataProblem, std::to_string(refusal.rejected) +
                                            " record file(s) rejected; nothing was written at the target "
                                            "(fix them, or accept their loss with --allow-rejected)");
    }
  }
  bool asks_to_proceed() const override { return true; }
  bool must_sync() const override { return true; }
  std::optional<std::string> place(TemporaryDatabase&, const fs::path&, const Refusal&) override {
    return std::nullopt;
  }
  void commit(TemporaryDatabase& temp, std::vector<std::string>& notes) override {
    // Only the file seen at the start, with --force; nothing that appeared meanwhile.
    if (!temp.publish(replacing_)) {
      notes.push_back("the database is in place, but its folder could not be synced: run sync before a power cut");
    }
  }

 private:
  const UpgradeOptions& opt_;
  std::optional<TargetLock> lock_;
  std::optional<FileId> replacing_;
};

class RehearsalScratch final : public Destination {
 public:
  RehearsalScratch(const UpgradeOptions& o, const CancelFlag* cancel) : opt_(o), cancel_(cancel) {}
  fs::path prepare(std::vector<std::string>& notes) override {
    if (opt_.keep_db) {
      stop_unless(check_target(*opt_.keep_db, false, opt_.source, NewFile::KeepDb));
      keep_lock_.emplace(*opt_.keep_db);  // then the temporaries of a killed run are ours to remove
      for (const auto& n : remove_stale_private(*opt_.keep_db)) {
        notes.push_back("removed the temporary file left by an earlier run that was stopped: " + n);
      }
    }
    const fs::path tmp = scratch_parent();
    for (const auto& n : remove_stale_scratch(tmp)) {
      notes.push_back("removed the scratch folder left by an earlier rehearsal that was stopped: " + n);
    }
    scratch_.emplace(tmp);
    return scratch_->path() / "rehearsal.db";
  }
  void built(TemporaryDatabase&, const Refusal&) override {}
  bool asks_to_proceed() const override { return false; }
  bool must_sync() const override { return false; }
  std::optional<std::string> place(TemporaryDatabase& temp, const fs::path& final_path,
                                   const Refusal& refusal) override {
    temp.publish();  // inside the scratch folder: no commit of anything
    if (opt_.keep_db) {
      // Copied beside --keep-db and synced; put in place by commit(), the run's last step.
      kept_.emplace(*opt_.keep_db);
      copy_database(final_path, *kept_, cancel_);
      kept_->sync();
    }
    if (refusal.store) return "the upgrade would fail, " + *refusal.store;
    if (!refusal.blocked) return std::nullopt;
    return "the upgrade would be blocked: " + std::to_string(refusal.rejected) +
           " record file(s) rejected (without --allow-rejected nothing would be written)";
  }
  void commit(TemporaryDatabase&, std::vector<std::string>& notes) override {
    if (kept_ && !kept_->publish()) {
      notes.push_back(
          "the --keep-db copy is in place, but its folder could not be synced: run sync before a "
          "power cut");
    }
  }

 private:
  const UpgradeOptions& opt_;
  const CancelFlag* cancel_;
  std::optional<TargetLock> keep_lock_;
  std::optional<ScratchFolder> scratch_;
  std::optional<TemporaryDatabase> kept_;  // removed by its destructor unless published
};

}  // namespace

std::unique_ptr<Destination> destination_for(const UpgradeOptions& options, const CancelFlag* cancel) {
  if (options.mode == RunMode::Upgrade) return std::make_unique<UpgradeTarget>(options);
  return std::make_unique<RehearsalScratch>(options, cancel);
}

}  // namespace kms::core::detail
