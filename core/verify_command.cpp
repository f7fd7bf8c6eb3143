#include "verify_command.h"

#include <algorithm>
#include <chrono>

#include "content_digest.h"
#include "db_writer.h"
#include "report_sink.h"
#include "sqlite_handle.h"
#include "store_analysis.h"
#include "verify_pass.h"

namespace kms::core {
namespace {

RecordOutcome outcome_from(const std::string& s) {
  if (s == "migrated") return RecordOutcome::Migrated;
  if (s == "normalized") return RecordOutcome::Normalized;
  if (s == "rejected") return RecordOutcome::Rejected;
  return RecordOutcome::Skipped;
}

std::string single_text(Db& db, const char* sql) {
  Stmt s(db, sql);
  return s.step() && !s.is_null(0) ? s.text(0) : std::string();
}

/// Opens the target read-only and proves it is a kms-migrate database of this schema.
std::unique_ptr<Db> open_target(const fs::path& target) {
  boost::system::error_code ec;
  if (!fs::is_regular_file(target, ec)) throw RunStop{ExitCode::Usage, "no database at '" + target.string() + "'"};
  auto db = std::make_unique<Db>(target.string(), OpenMode::ReadOnly);
  std::int64_t app = 0, version = 0;
  try {
    Stmt a(*db, "PRAGMA application_id");
    if (a.step()) app = a.integer(0);
    Stmt v(*db, "PRAGMA user_version");
    if (v.step()) version = v.integer(0);
  } catch (const DbError& e) {
    throw RunStop{ExitCode::Usage, "'" + target.string() + "' is not a kms-migrate database: " + e.what()};
  }
  if (app != kApplicationId) {
    throw RunStop{ExitCode::Usage, "'" + target.string() + "' is not a kms-migrate database (application_id " +
                                       std::to_string(app) + ", expected " + std::to_string(kApplicationId) + ")"};
  }
  if (version != kSchemaVersion) {
    throw RunStop{ExitCode::Usage, "'" + target.string() + "' has schema version " + std::to_string(version) +
                                       "; this kms-migrate reads version " + std::to_string(kSchemaVersion)};
  }
  return db;
}

std::vector<std::string> database_problems(Db& db) {
  std::vector<std::string> problems;
  Stmt integrity(db, "PRAGMA integrity_check");
  while (integrity.step()) {
    if (integrity.text(0) != "ok") problems.push_back("integrity_check: " + integrity.text(0));
  }
  Stmt fk(db, "PRAGMA foreign_key_check");
  while (fk.step()) problems.push_back("foreign_key_check: a row of " + fk.text(0) + " has no parent");
  return problems;
}

}  // namespace

RunResult run_verify(const VerifyOptions& o, const CancelFlag* cancel, const ProgressFn& progress, ReportSink* report) {
  ReportSink counts_only;
  ReportSink& sink = report ? *report : counts_only;
  RunResult res;
  RunReport& rep = res.report;
  rep.command = "verify";
  rep.source = o.source.string();
  rep.target = o.target.string();
  const auto t0 = std::chrono::steady_clock::now();
  try {
    std::string error;
    const auto clients = find_clients_dir(o.source, error);
    if (!clients) throw RunStop{ExitCode::Usage, error};
    auto db = open_target(o.target);
    std::vector<std::string> problems = database_problems(*db);

    const PassSettings as{o.max_record_bytes, std::time(nullptr), o.jobs, cancel, progress};
    const StoreDir dir(*clients);
    StoreAnalysis now = analyse_store(dir, as);
    // The archive (legacy_files) and the store, both in path order, merged: files in
    // both are checked, files only in the store or only in the archive are named.
    std::vector<std::optional<Verification>> verdicts(now.files.size());
    std::vector<bool> check(now.files.size(), false);
    std::vector<FileSummary> gone;  // archived, no longer in the store
    {
      Stmt a(*db, "SELECT path, record_id, sha256, outcome FROM legacy_files ORDER BY path");
      bool more = a.step();
      std::size_t i = 0;
      while (i < now.files.size() || more) {
        if (more && (i == now.files.size() || a.text(0) < now.files[i].path)) {
          FileSummary g;
          g.path = a.text(0);
          g.record_id = a.text(1);
          g.sha256 = a.text(2);
          g.outcome = outcome_from(a.text(3));
          add_issue(g.issues, Severity::Error, "unexpected-in-target",
                    "the database holds this file" +
                        std::string(g.outcome == RecordOutcome::Migrated || g.outcome == RecordOutcome::Normalized ? " and its client" : "") +
                        ", but the store no longer has it");
          gone.push_back(std::move(g));
          more = a.step();
          continue;
        }
        FileSummary& f = now.files[i];
        if (!more || f.path < a.text(0)) {
          add_issue(f.issues, Severity::Error, "missing-in-target",
                    "this file is not in the database (added to the store after the upgrade?)");
          verdicts[i++] = Verification::Failed;
          continue;
        }
        f.outcome = outcome_from(a.text(3));  // what the database holds for it
        if (a.text(2) != f.sha256) {
          add_issue(f.issues, Severity::Error, "source-changed", "the file's bytes differ from those archived at upgrade time");
          verdicts[i] = Verification::Failed;
        } else {
          check[i] = true;
        }
        ++i;
        more = a.step();
      }
    }
    const VerifyResult vr = verify_against_store(*db, dir, now.files, as, &check);
    for (std::size_t i = 0; i < now.files.size(); ++i) {
      if (check[i]) verdicts[i] = vr.verdicts[i];
    }
    for (const auto& id : vr.unexpected_record_ids) {
      const bool named = std::any_of(gone.begin(), gone.end(), [&](const FileSummary& f) { return f.record_id == id; });
      if (!named) problems.push_back("client " + id + " is in the database but no file accounts for it");
    }
    const std::string recorded = single_text(*db, "SELECT value FROM migration_meta WHERE key = 'content_digest'");
    rep.content_digest = vr.content_digest;
    if (recorded != *rep.content_digest) {
      problems.push_back("content_digest recomputed from the tables (" + *rep.content_digest +
                         ") differs from the one recorded at upgrade time (" + recorded + ")");
    }
    // One report row per file, in path order, whether present now or only archived.
    std::size_t g = 0;
    for (std::size_t i = 0; i <= now.files.size(); ++i) {
      while (g < gone.size() && (i == now.files.size() || gone[g].path < now.files[i].path)) {
        sink.add(gone[g++], Verification::Failed);
      }
      if (i < now.files.size()) sink.add(now.files[i], verdicts[i]);
    }
    sink.fill(rep);
    const std::size_t failed = rep.counts().verified_failed;
    if (failed == 0 && problems.empty()) {
      rep.status = RunStatus::Succeeded;
      res.exit_code = ExitCode::Ok;
    } else {
      rep.status = RunStatus::Failed;
      res.exit_code = ExitCode::DataProblem;
      rep.message = "verification failed: " + std::to_string(failed) + " file(s) differ";
      for (const auto& p : problems) rep.message += "; " + p;
    }
  } catch (const RunStop& stop) {
    end_run(res, stop.code, stop.message);
  } catch (const Cancelled&) {
    end_run(res, ExitCode::Cancelled, "cancelled before every record was checked");
  } catch (const fs::filesystem_error& e) {
    end_run(res, ExitCode::Usage, std::string("cannot read the store: ") + e.what());
  } catch (const std::exception& e) {
    end_run(res, ExitCode::Internal, std::string("verification could not finish: ") + e.what());
  }

  rep.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace kms::core
