#include "upgrade.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <chrono>
#include <ctime>

#include "content_digest.h"
#include "db_writer.h"
#include "file_analysis.h"
#include "integrity_check.h"
#include "ordered_pipeline.h"
#include "cross_checks.h"
#include "store_analysis.h"
#include "store_walker.h"
#include "target_file.h"
#include "timestamp.h"
#include "verify_pass.h"

namespace kms::core {
namespace {

class ScratchFolder {
 public:
  ScratchFolder() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/kms-migrate-rehearsal-XXXXXX";
    if (!::mkdtemp(templ.data())) throw RunStop{ExitCode::Usage, "cannot create a scratch folder in " + templ};
    path_ = templ;
  }
  ~ScratchFolder() {
    boost::system::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

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

class Pipeline {
 public:
  Pipeline(const UpgradeOptions& o, const UpgradeHooks& h, RunResult& r) : opt_(o), hooks_(h), res_(r) {
    pass_.max_record_bytes = o.max_record_bytes;
    pass_.now = now_;
    pass_.jobs = o.jobs;
    pass_.cancel = h.cancel;
    pass_.progress = h.progress;
  }
  void run();

 private:
  void locate();
  void build(Db& db);
  void verify(const fs::path& db_path);
  void finish_database(Db& db);
  void check_source_unchanged();
  void progress(const char* phase, std::size_t done, std::size_t total) {
    if (hooks_.progress) hooks_.progress(phase, done, total);
  }
  void check_cancel() const { throw_if_cancelled(hooks_.cancel); }
  /// Runs one phase and records its duration (seconds) in the report's phase list.
  template <typename F>
  void timed(const char* phase, F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    rep_.phases.emplace_back(phase, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  const UpgradeOptions& opt_;
  const UpgradeHooks& hooks_;
  RunResult& res_;
  RunReport& rep_ = res_.report;
  fs::path clients_;
  std::optional<StoreDir> store_;  // clients_, held open for the run
  std::time_t now_ = std::time(nullptr);
  std::string started_at_ = iso_utc(now_);
  PassSettings pass_;
};

void Pipeline::locate() {
  std::string error;
  auto clients = find_clients_dir(opt_.source, error);
  if (!clients) throw RunStop{ExitCode::Usage, error};
  clients_ = *clients;
}

void Pipeline::build(Db& db) {
  std::vector<StoreEntry> entries;  // only for this pass: the summaries keep what is needed later
  try {
    store_.emplace(clients_);
    entries = list_store(*store_);
  } catch (const fs::filesystem_error& e) {
    throw RunStop{ExitCode::Usage, "cannot list the store folder '" + clients_.string() + "': " + e.code().message()};
  }
  rep_.files.assign(entries.size(), FileSummary{});
  // The temporary file is discarded on any failure, so a journal would protect nothing. Foreign
  // keys are not enforced row by row (DbWriter deletes children itself); foreign_key_check
  // proves them over the whole file before the commit.
  db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;");
  db.exec("BEGIN");
  DbWriter writer(db);
  std::vector<bool> client_written(entries.size(), false);
  std::function<AnalyzedFile(std::size_t)> produce = [&](std::size_t i) {
    throw_if_cancelled(hooks_.cancel);
    AnalyzedFile a = analyze_entry(*store_, entries[i], opt_.max_record_bytes, now_);
    if (a.record) a.summary.written_digest = record_digest(*a.record);  // on the worker thread
    return a;
  };
  std::function<void(std::size_t, AnalyzedFile&&)> consume = [&](std::size_t i, AnalyzedFile&& a) {
    check_cancel();
    writer.write_legacy_file(a.summary, a.raw);
    if (a.record) {
      // A second file with the same record id or MailboxDN is rejected with the
      // first by the cross-file rules below; only the first is written meanwhile.
      client_written[i] = writer.write_client(*a.record);
      if (!client_written[i]) a.summary.written_digest.reset();
    }
    rep_.files[i] = std::move(a.summary);
    progress("reading", i + 1, entries.size());
  };
  std::vector<RecordOutcome> before(entries.size());
  for_each_ordered(entries.size(), opt_.jobs, produce, consume);
  for (std::size_t i = 0; i < rep_.files.size(); ++i) before[i] = rep_.files[i].outcome;
  apply_cross_file_rules(rep_.files);
  for (std::size_t i = 0; i < rep_.files.size(); ++i) {
    if (rep_.files[i].outcome == before[i]) continue;
    writer.set_legacy_outcome(rep_.files[i].path, rep_.files[i].outcome);
    if (client_written[i]) writer.delete_client(rep_.files[i].record_id);
  }
  db.exec("COMMIT");
}

void Pipeline::verify(const fs::path& db_path) {
  // SQLite's whole-file integrity and foreign-key checks run meanwhile, on their own connection.
  BackgroundCheck sqlite_checks(db_path.string(), {});
  Db ro(db_path.string(), OpenMode::ReadOnly);
  VerifyResult vr = verify_against_store(ro, *store_, rep_.files, pass_, SourceCheck::WrittenDigest);
  rep_.verification = std::move(vr.verdicts);
  rep_.content_digest = vr.content_digest;
  ro.close();
  for (const auto& p : sqlite_checks.result()) throw RunStop{ExitCode::Internal, p};
  if (vr.failed > 0) {
    std::string msg = "verification failed: " + std::to_string(vr.failed) + " record(s) differ between the database and the source";
    for (const auto& id : vr.unexpected_record_ids) msg += "; unexpected client " + id;
    throw RunStop{ExitCode::DataProblem, msg};
  }
}

void Pipeline::finish_database(Db& db) {
  const Counts c = rep_.counts();
  db.exec("BEGIN");
  {
    DbWriter writer(db, DbWriter::Schema::Existing);
    for (std::size_t i = 0; i < rep_.files.size(); ++i) writer.write_report_row(rep_.files[i], rep_.verification_of(i));
    const std::pair<const char*, std::string> meta[] = {
        {"schema_version", std::to_string(kSchemaVersion)},
        {"tool_version", opt_.tool_version},
        {"command", rep_.command},
        {"started_at", started_at_},
        {"finished_at", iso_utc(std::time(nullptr))},
        {"source", fs::absolute(opt_.source).string()},
        {"target", rep_.target.value_or("")},
        {"content_digest", rep_.content_digest.value_or("")},
        {"allow_rejected", opt_.allow_rejected == AllowRejected::Yes ? "1" : "0"},
        {"files_seen", std::to_string(c.files_seen)},
        {"migrated", std::to_string(c.migrated)},
        {"normalized", std::to_string(c.normalized)},
        {"rejected", std::to_string(c.rejected)},
        {"skipped", std::to_string(c.skipped)},
        {"verified_passed", std::to_string(c.verified_passed)},
        {"verified_failed", std::to_string(c.verified_failed)},
    };
    for (const auto& [k, v] : meta) writer.set_meta(k, v);
    for (const auto& [phase, secs] : rep_.phases) writer.set_meta("seconds_" + phase, std::to_string(secs));
  }
  db.exec("COMMIT");
  // The whole file was checked during the verification (BackgroundCheck); these tables changed since.
  for (const auto& p : check_tables(db, {"migration_report", "migration_meta", "password_policy"})) {
    throw RunStop{ExitCode::Internal, p};
  }
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
                                           opt_.source);
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
      scratch.emplace();
      final_path = scratch->path() / "rehearsal.db";
    }
    TemporaryDatabase temp(final_path);
    Counts counts;
    {
      Db db(temp.path().string(), OpenMode::ReadWriteCreate);
      timed("read_check_write", [&] { build(db); });
      counts = rep_.counts();
      rep_.blocked = counts.rejected > 0 && opt_.allow_rejected == AllowRejected::No;
      if (upgrade && rep_.blocked) {
        throw RunStop{ExitCode::DataProblem, std::to_string(counts.rejected) +
                                                 " record file(s) rejected; nothing was written at the target "
                                                 "(fix them, or accept their loss with --allow-rejected)"};
      }
      if (hooks_.after_write) hooks_.after_write(db);
      timed("verify", [&] { verify(temp.path()); });
      timed("report_and_checks", [&] { finish_database(db); });
      db.close();
    }
    if (upgrade && hooks_.confirm && !hooks_.confirm(Plan{counts, opt_.target.string()})) throw Cancelled{};
    timed("source_recheck", [&] { check_source_unchanged(); });
    check_cancel();
    timed("commit", [&] { temp.commit(); });
    if (!upgrade && opt_.keep_db) fs::copy_file(final_path, *opt_.keep_db);
    if (!upgrade && rep_.blocked) {
      rep_.status = RunStatus::Failed;
      rep_.message = "the upgrade would be blocked: " + std::to_string(counts.rejected) +
                     " record file(s) rejected (without --allow-rejected nothing would be written)";
      res_.exit_code = ExitCode::DataProblem;
      return;
    }
    rep_.status = RunStatus::Succeeded;
    res_.exit_code = ExitCode::Ok;
  } catch (const RunStop& stop) {
    end_run(res_, stop.code, stop.message);
  } catch (const Cancelled&) {
    end_run(res_, ExitCode::Cancelled, "cancelled; nothing was written at the target");
  } catch (const DbError& e) {
    end_run(res_, ExitCode::Internal,
            std::string("database error, nothing committed: ") + e.what() +
                space_diagnosis(e.code(), upgrade ? fs::absolute(opt_.target).parent_path() : fs::path()));
  } catch (const std::exception& e) {
    end_run(res_, ExitCode::Internal, std::string("I/O or internal error, nothing committed: ") + e.what());
  }

  if (rep_.status != RunStatus::Succeeded) rep_.content_digest.reset();
}

void Pipeline::check_source_unchanged() {
  std::vector<StoreEntry> now;
  try {
    now = list_store(*store_);
  } catch (const fs::filesystem_error& e) {
    throw RunStop{ExitCode::DataProblem, "source changed during the run: the store can no longer be listed"};
  }
  if (now.size() != rep_.files.size()) {
    throw RunStop{ExitCode::DataProblem, "source changed during the run: files were added to or removed from the store"};
  }
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (now[i].name != rep_.files[i].path) {
      throw RunStop{ExitCode::DataProblem, "source changed during the run: '" + now[i].name + "' appeared"};
    }
    const auto& before = rep_.files[i].stamp;
    const auto after = stamp_of(store_->fd(), now[i].name);
    const bool was_read = !rep_.files[i].sha256.empty();
    if (was_read && (!after || !before || !(*before == *after))) {
      add_issue(rep_.files[i].issues, Severity::Error, "source-changed",
                "the file was modified (size or modification time) while the upgrade ran");
      throw RunStop{ExitCode::DataProblem, "source changed during the run: '" + now[i].name + "' was modified"};
    }
  }
}

}  // namespace

RunResult run_upgrade(const UpgradeOptions& options, const UpgradeHooks& hooks) {
  RunResult result;
  const auto t0 = std::chrono::steady_clock::now();
  Pipeline(options, hooks, result).run();
  result.report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace kms::core
