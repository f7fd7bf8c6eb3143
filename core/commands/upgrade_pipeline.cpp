#include "upgrade_pipeline.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "run_paths.h"
#include "test_stop_point.h"
#include "target_file.h"
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
      throw RunStop{ExitCode::Usage, "cannot create a scratch folder in '" + tmp.string() + "': " + std::strerror(errno)};
    }
    path_ = templ;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ >= 0) (void)::flock(fd_, LOCK_EX | LOCK_NB);
  }
  ~ScratchFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (fd_ >= 0) ::close(fd_);
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
  std::error_code ec;
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, std::strlen(kScratchPrefix), kScratchPrefix) != 0) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
    const pid_t pid = scratch_pid(name);
    if (pid == ::getpid() || (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM))) continue;  // its run lives
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    const bool unused = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (unused) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
      if (!rm) removed.push_back(it->path().string());
    }
    ::close(fd);
  }
  return removed;
}

/// For a write failure: what the file system and the limits say, so the message names the cause.
std::string space_diagnosis(int sqlite_code, const fs::path& folder) {
  const int primary = sqlite_code & 0xFF;
  if (primary != SQLITE_IOERR && primary != SQLITE_FULL) return "";
  std::string out;
  struct statvfs vfs {};
  if (!folder.empty() && ::statvfs(folder.c_str(), &vfs) == 0) {
    const unsigned long long free_bytes = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < (1ULL << 20)) {
      out += "; the file system holding '" + folder.string() + "' is full (" + std::to_string(free_bytes) + " bytes free)";
    }
  }
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    out += "; the file-size limit (ulimit -f) is " + std::to_string(static_cast<unsigned long long>(rl.rlim_cur)) +
           " bytes (File too large)";
  }
  return out;
}

}  // namespace

Pipeline::Pipeline(const UpgradeOptions& o, const UpgradeHooks& h, RunResult& r, ReportSink& sink)
    : opt_(o), hooks_(h), res_(r), sink_(sink) {
  pass_.max_record_bytes = o.max_record_bytes;
  pass_.now = now_;
  pass_.jobs = o.jobs;
  pass_.cancel = h.cancel;
  pass_.progress = h.progress;
}

void Pipeline::locate() {
  std::string error;
  auto clients = find_clients_dir(opt_.source, error);
  if (!clients) throw RunStop{ExitCode::Usage, error};
  clients_ = *clients;
}

void Pipeline::run() {
  const bool upgrade = opt_.mode == RunMode::Upgrade;
  rep_.command = upgrade ? "upgrade" : "rehearse";
  rep_.source = opt_.source.string();
  if (upgrade) rep_.target = opt_.target.string();
  if (!upgrade && opt_.keep_db) rep_.target = opt_.keep_db->string();
  try {
    locate();
    if (upgrade || opt_.keep_db) {
      const std::string why = check_target(upgrade ? opt_.target : *opt_.keep_db,
                                           upgrade && opt_.force == Overwrite::Yes,
                                           opt_.source, upgrade ? NewFile::Target : NewFile::KeepDb);
      if (!why.empty()) throw RunStop{ExitCode::Usage, why};
    }
    std::optional<TargetLock> lock;  // held until the run ends, success or not
    if (upgrade) {
      try {
        lock.emplace(opt_.target);
      } catch (const std::runtime_error& e) {
        throw RunStop{ExitCode::Usage, e.what()};
      }
    }
    std::optional<ScratchFolder> scratch;
    fs::path final_path;
    if (upgrade) {
      final_path = opt_.target;
      for (const auto& n : remove_stale_temporaries(final_path)) {
        res_.notes.push_back("removed the temporary file left by an earlier run that was stopped: " + n);
      }
    } else {
      const fs::path tmp = scratch_parent();
      for (const auto& n : remove_stale_scratch(tmp)) {
        res_.notes.push_back("removed the scratch folder left by an earlier rehearsal that was stopped: " + n);
      }
      scratch.emplace(tmp);
      final_path = scratch->path() / "rehearsal.db";
    }
    TemporaryDatabase temp(final_path);
    {
      Db db(temp.path().string(), OpenMode::ReadWriteCreate);
      try {
        timed("read_check_write", [&] { build(db); });
        // Only the upgrade's database must reach the disk: a rehearsal's is deleted,
        // or copied by --keep-db, when the run ends.
        if (upgrade) temp.start_writeback();  // the kernel writes while the verification reads
        const Counts counts = tracks_.counts();
        rep_.blocked = counts.rejected > 0 && opt_.allow_rejected == AllowRejected::No;
        if (upgrade && rep_.blocked) {
          throw RunStop{ExitCode::DataProblem, std::to_string(counts.rejected) +
                                                   " record file(s) rejected; nothing was written at the target "
                                                   "(fix them, or accept their loss with --allow-rejected)"};
        }
        if (hooks_.after_write) hooks_.after_write(db);
        timed("verify", [&] { verify(db, temp.path()); });
        // SQLite's whole-file checks go on meanwhile (verify() started them).
        if (upgrade) confirm();
        timed("source_recheck", [&] { check_source_unchanged(db); });
        check_cancel();
        timed("report", [&] { report_files(db); });
        timed("sqlite_checks", [&] { sqlite_checks(); });
        timed("meta", [&] { finish_database(db); });
        if (upgrade) timed("sync", [&] { temp.sync(); });  // the kernel has been writing since the build
      } catch (...) {
        // The report still names every file and what became of it, unless the
        // operator interrupted (then nothing more is done) or the database failed.
        const bool interrupted = hooks_.cancel && hooks_.cancel->requested();
        if (built_ && !reported_ && !interrupted) {
          try {
            report_files(db);
          } catch (const std::exception&) {
            // The run's own error is what the operator needs to see.
          }
        }
        throw;
      }
      db.close();
    }
    commit(temp, final_path);
    return;
  } catch (const RunStop& stop) {
    end_run(res_, stop.code, stop.message);
  } catch (const Cancelled&) {
    end_run(res_, ExitCode::Cancelled, "cancelled; nothing was written at the target");
  } catch (const DbError& e) {
    if (is_interrupt(e) && hooks_.cancel && hooks_.cancel->requested()) {
      end_run(res_, ExitCode::Cancelled, "cancelled; nothing was written at the target");
      report_totals();
      return;
    }
    end_run(res_, ExitCode::Internal,
            std::string("database error, nothing committed: ") + e.what() +
                space_diagnosis(e.code(), upgrade ? fs::absolute(opt_.target).parent_path() : fs::path()));
  } catch (const std::exception& e) {
    end_run(res_, ExitCode::Internal, std::string("I/O or internal error, nothing committed: ") + e.what());
  }
  if (rep_.status != RunStatus::Succeeded) rep_.content_digest.reset();
  report_totals();
  rep_.elapsed_seconds = elapsed();
}

void Pipeline::confirm() {
  if (!hooks_.confirm) return;
  const auto asked = std::chrono::steady_clock::now();
  const bool yes = hooks_.confirm(Plan{tracks_.counts(), opt_.source.string(), opt_.target.string(),
                                       rep_.content_digest.value_or("")});
  res_.prompt_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  if (!yes) throw Cancelled{};
}

// Everything that can fail happens before the rename of the database: the
// report is written to the end (the summary of this very run) and fsynced, so
// that after the commit only the report's own rename is left (commands.cpp).
void Pipeline::commit(TemporaryDatabase& temp, const fs::path& final_path) {
  const bool upgrade = opt_.mode == RunMode::Upgrade;
  check_cancel();
  if (!upgrade) {
    temp.publish();  // inside the scratch folder: no commit of anything
    if (opt_.keep_db) copy_owner_only(final_path, *opt_.keep_db);
  }
  if (!upgrade && rep_.blocked) {
    rep_.status = RunStatus::Failed;
    rep_.message = "the upgrade would be blocked: " + std::to_string(tracks_.counts().rejected) +
                   " record file(s) rejected (without --allow-rejected nothing would be written)";
    res_.exit_code = ExitCode::DataProblem;
  } else {
    rep_.status = RunStatus::Succeeded;
    res_.exit_code = ExitCode::Ok;
  }
  report_totals();
  rep_.elapsed_seconds = elapsed();
  test_stop_point("before-rename", hooks_.cancel);
  check_cancel();
  sink_.prepare(rep_);
  check_cancel();
  if (upgrade && !temp.publish()) {
    res_.notes.push_back("the database is in place, but its folder could not be synced: run sync before a power cut");
  }
}

void Pipeline::report_totals() {
  if (reported_) sink_.fill(rep_);  // the lists
  if (built_) rep_.totals = tracks_.counts();
}

// Every entry first listed must still be there with the same type, and every file
// read with the same size and modification time; and the folder must hold no more
// entries than then (so none was added). No second listing is kept in memory.
void Pipeline::check_source_unchanged(Db& db) {
  const auto changed = [&](const std::string& what) {
    throw RunStop{ExitCode::DataProblem, "source changed during the run: " + what};
  };
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const FileTrack& t = tracks_[i];
    const std::string name(tracks_.path(i));
    const auto after = stamp_of(store_->fd(), name);
    if (!after) {
      if (!t.has_stamp) continue;  // it could not be examined then either: count_entries() still sees it
      changed("'" + name + "' is gone");
    }
    if (t.read && (!t.has_stamp || !(t.stamp == *after))) {
      add_row_issue(db, i, "source-changed", "the file was modified (size or modification time) while the upgrade ran",
                    Verification::Failed);
      changed("'" + name + "' was modified");
    }
  }
  std::size_t now = 0;
  try {
    now = count_entries(*store_);
  } catch (const fs::filesystem_error&) {
    changed("the store can no longer be listed");
  }
  if (now != tracks_.size()) changed("files were added to or removed from the store");
}

}  // namespace kms::core::detail
