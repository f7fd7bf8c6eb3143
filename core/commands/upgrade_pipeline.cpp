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

#include "empty_store.h"
#include "run_end.h"
#include "run_facts.h"
#include "test_stop_point.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::core::detail {
namespace {

/// For a write failure: what the file system and the limits say, so the message names the cause.
std::string space_diagnosis(int sqlite_code, const fs::path& folder) {
  if (!is_storage_failure(sqlite_code)) return "";
  std::string out;
  struct statvfs vfs {};
  if (!folder.empty() && ::statvfs(folder.c_str(), &vfs) == 0) {
    const unsigned long long free_bytes = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < (1ULL << 20)) {
      out +=
          "; the file system holding '" + folder.string() + "' is full (" + std::to_string(free_bytes) + " bytes free)";
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
    : opt_(o), hooks_(h), res_(r), sink_(sink), dest_(destination_for(o)) {
  pass_.max_record_bytes = o.max_record_bytes;
  pass_.now = now_;
  pass_.workers = o.workers;
  pass_.cancel = h.cancel;
  pass_.progress = h.progress;
}

void Pipeline::locate() {
  if (opt_.manifest) {
    auto m = read_manifest(*opt_.manifest);
    if (!m.ok()) throw Stop(m.error());
    manifest_ = std::move(m.value());
  }
  auto clients = find_clients_dir(opt_.source);
  if (!clients.ok()) throw Stop(clients.error());
  clients_ = clients.value();
}

void Pipeline::run() {
  const bool upgrade = opt_.mode == RunMode::Upgrade;
  rep_.command = upgrade ? "upgrade" : "rehearse";
  rep_.source = opt_.source.string();
  if (upgrade) rep_.target = opt_.target.string();
  if (!upgrade && opt_.keep_db) rep_.target = opt_.keep_db->string();
  rep_.tool_version = opt_.tool_version;
  rep_.started_at = iso_utc(now_);
  rep_.host = host_name();
  rep_.operator_name = operator_name();
  rep_.max_record_size = opt_.max_record_bytes;
  try {
    locate();
    const fs::path final_path = dest_->prepare(res_.notes);
    TemporaryDatabase temp(final_path);
    {
      Db db(temp.path().string(), OpenMode::ReadWriteCreate);
      write_and_check(db, temp);
      db.close();
    }
    commit(temp, final_path);
    return;
  } catch (...) {
    FailureWords words;
    words.cancelled = cancelled_message();
    words.database = "database error, nothing committed: ";
    const fs::path folder = upgrade ? fs::absolute(opt_.target).parent_path() : fs::path();
    words.database_detail = [folder](int code) { return space_diagnosis(code, folder); };
    words.other = "I/O or internal error, nothing committed: ";
    end_run_on_exception(res_, hooks_.cancel, words);
  }
  rep_.content_digest.reset();
  if (rep_.finished_at.empty()) rep_.finished_at = iso_utc(std::time(nullptr));
  report_totals();
  rep_.elapsed_seconds = elapsed();
}

// Every stage up to the commit, on the temporary database. On a failure the
// report still names every file and what became of it, unless the operator
// interrupted (then nothing more is done) or the database failed.
void Pipeline::write_and_check(Db& db, TemporaryDatabase& temp) {
  try {
    timed("read_check_write", [&] { build(db); });
    if (manifest_) timed("manifest", [&] { check_manifest(db); });
    refusal_ = refusal();
    rep_.blocked = refusal_.refused();
    rep_.store_failure = refusal_.store;
    dest_->built(temp, refusal_);
    if (hooks_.after_write) hooks_.after_write(db);
    timed("verify", [&] { verify(db, temp.path()); });
    // SQLite's whole-file checks go on meanwhile (verify() started them).
    if (dest_->asks_to_proceed()) confirm();
    timed("source_recheck", [&] { check_source_unchanged(db); });
    check_cancel();
    timed("report", [&] { report_files(db); });
    timed("sqlite_checks", [&] { sqlite_checks(); });
    timed("meta", [&] { finish_database(db); });
    if (dest_->must_sync()) {
      progress("fsync and rename", 0, 0);
      timed("sync", [&] { temp.sync(); });  // the kernel has been writing since the build
    }
  } catch (...) {
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
}

std::string Pipeline::cancelled_message() const {
  std::string done;
  if (!counted_.phase) {
    done = "cancelled before the first file was read";
  } else if (std::string(counted_.phase) == "reading" && counted_.done < counted_.total) {
    done = "cancelled after reading " + grouped(counted_.done) + " of " + grouped(counted_.total) + " files";
  } else if (std::string(counted_.phase) == "verifying" && counted_.done < counted_.total) {
    done = "cancelled while verifying, after " + grouped(counted_.done) + " of " + grouped(counted_.total) +
           " records had been read back";
  } else {
    done = std::string("cancelled during the ") + (phase_ ? phase_ : "run") + ", after every file was read";
  }
  return done + (opt_.mode == RunMode::Upgrade ? "; nothing was written at the target"
                                               : "; the rehearsal's scratch database was deleted");
}

void Pipeline::confirm() {
  if (!hooks_.confirm) return;
  const auto asked = std::chrono::steady_clock::now();
  const bool yes = hooks_.confirm(
      Plan{tracks_.counts(), opt_.source.string(), opt_.target.string(), rep_.content_digest.value_or("")});
  res_.prompt_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  if (!yes) throw Stop(ExitCode::Cancelled, "cancelled");
}

// Everything that can fail happens before the rename of the database: the
// report is written to the end (the summary of this very run) and fsynced, so
// that after the commit only the report's own rename is left (commands.cpp).
void Pipeline::commit(TemporaryDatabase& temp, const fs::path& final_path) {
  check_cancel();
  if (const auto failure = dest_->place(temp, final_path, refusal_)) {
    rep_.status = RunStatus::Failed;
    rep_.message = *failure;
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
  dest_->commit(temp, res_.notes);
}

void Pipeline::check_manifest(Db& db) {
  progress("checking the manifest", 0, 0);
  ManifestCheck check(*manifest_, store_->fd());
  Stmt q(db, "SELECT path, sha256 FROM legacy_files ORDER BY path");
  for (std::size_t n = 0; q.step(); ++n) {
    if (n % 1024 == 0) check_cancel();
    check.entry(q.text_view(0), q.is_null(1) ? std::string() : q.text(1));
  }
  rep_.manifest = check.finish();
}

Refusal Pipeline::refusal() {
  Refusal r;
  const Counts counts = tracks_.counts();
  r.rejected = counts.rejected;
  r.blocked = counts.rejected > 0 && opt_.allow_rejected == AllowRejected::No;
  SkippedNames skipped;
  if (counts.migrated + counts.normalized == 0) {
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      if (tracks_.get(i).outcome == RecordOutcome::Skipped) skipped.add(tracks_.path(i));
    }
  }
  r.store = no_record_failure(counts, skipped);
  if (rep_.manifest && rep_.manifest->differences()) r.store = rep_.manifest->failure();
  return r;
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
    throw Stop(ExitCode::DataProblem, "source changed during the run: " + what);
  };
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const FileTrack t = tracks_.get(i);
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
