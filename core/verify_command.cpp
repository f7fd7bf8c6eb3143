#include "verify_command.h"

#include <algorithm>
#include <numeric>
#include <chrono>

#include "content_digest.h"
#include "db_writer.h"
#include "report_sink.h"
#include "sqlite_handle.h"
#include "file_track.h"
#include "integrity_check.h"
#include "ordered_pipeline.h"
#include "store_analysis.h"
#include "text_util.h"
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

/// One file of the store, read and parsed on a worker, with its record's digest.
struct SourceFile {
  AnalyzedFile file;
  std::optional<RecordDigest> digest;
};

/// The archive of the database (legacy_files), read in path order beside the store.
class Archive {
 public:
  explicit Archive(Db& db) : rows_(db, "SELECT path, record_id, sha256, outcome FROM legacy_files ORDER BY path") {
    more_ = rows_.step();
  }
  bool more() const { return more_; }
  /// Valid until the next take.
  std::string_view path() const { return rows_.text_view(0); }
  /// The current row as the report shows a file the store no longer has; then the next row.
  FileSummary take_gone() {
    FileSummary g;
    g.path = rows_.text(0);
    g.record_id = rows_.text(1);
    g.sha256 = rows_.text(2);
    g.outcome = outcome_from(rows_.text(3));
    add_issue(g.issues, Severity::Error, "unexpected-in-target",
              "the database holds this file" + std::string(expects_client(g.outcome) ? " and its client" : "") +
                  ", but the store no longer has it");
    more_ = rows_.step();
    return g;
  }
  /// The current row's sha256 and outcome; then the next row.
  std::pair<std::string, RecordOutcome> take() {
    auto r = std::make_pair(rows_.text(2), outcome_from(rows_.text(3)));
    more_ = rows_.step();
    return r;
  }

 private:
  Stmt rows_;
  bool more_ = false;
};

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
    // SQLite's whole-file checks run meanwhile, on their own connection and thread.
    BackgroundCheck sqlite_checks(o.target.string(), {});
    const StoreDir dir(*clients);
    const StoreListing entries = list_names(dir);
    // The record id of a record file is its lower-cased name without ".ini".
    const auto record_id_of = [&](std::uint32_t i) { return record_id_of_name(entries.name(i)); };
    const std::time_t now = std::time(nullptr);
    std::vector<std::string> problems;
    std::size_t failed = 0;
    std::vector<std::pair<std::uint32_t, RecordDigest>> digests;  // entry, digest of its client as stored
    ContentDigest others;  // clients no file of the store accounts for
    {
      // One pass: each file of the store is read and parsed once (in parallel, in
      // order) and held to its archived bytes and its client; the archive and the
      // clients are read in the same order beside it.
      ClientReadBack back(*db);  // first: it opens the read transaction
      Archive archive(*db);
      const auto emit = [&](const FileSummary& f, Verification v) {
        if (v == Verification::Failed) ++failed;
        sink.add(f, v);
      };
      std::function<SourceFile(std::size_t)> produce = [&](std::size_t i) {
        throw_if_cancelled(cancel);
        SourceFile s{analyze_entry(dir, entries.entry(i), o.max_record_bytes, now), std::nullopt};
        if (s.file.record) s.digest = record_digest(*s.file.record);
        return s;
      };
      std::function<void(std::size_t, SourceFile&&)> consume = [&](std::size_t i, SourceFile&& s) {
        throw_if_cancelled(cancel);
        if (progress) progress("verifying", i + 1, entries.size());
        FileSummary& f = s.file.summary;
        while (archive.more() && archive.path() < f.path) emit(archive.take_gone(), Verification::Failed);
        if (!archive.more() || f.path < archive.path()) {
          add_issue(f.issues, Severity::Error, "missing-in-target",
                    "this file is not in the database (added to the store after the upgrade?)");
          return emit(f, Verification::Failed);
        }
        const auto [archived_sha256, outcome] = archive.take();
        f.outcome = outcome;  // what the database holds for it
        if (archived_sha256 != f.sha256) {
          add_issue(f.issues, Severity::Error, "source-changed", "the file's bytes differ from those archived at upgrade time");
          return emit(f, Verification::Failed);
        }
        if (expects_client(outcome)) {
          const auto as_parsed = [&](const ClientRecord&, const RecordDigest& d) { return d == s.digest; };
          auto stored = back.read(f.record_id, as_parsed);
          if (stored) digests.emplace_back(static_cast<std::uint32_t>(i), stored->digest);
          if (stored && stored->digest == s.digest) return emit(f, Verification::Passed);
          std::optional<ClientRecord> rec;
          if (stored) rec = std::move(stored->record);
          const FileSummary as_read = f;  // the file as read now is the source
          return emit(f, judge_against_source(rec, f, AnalyzedFile{as_read, std::nullopt, std::move(s.file.record)}));
        }
        if (!f.record_id.empty() && back.exists(f.record_id)) {  // no client may carry the id of a rejected file
          add_issue(f.issues, Severity::Error, "unexpected-in-target",
                    "the database holds client " + f.record_id + " though this file is " + outcome_name(outcome));
          return emit(f, Verification::Failed);
        }
        emit(f, Verification::NotApplicable);
      };
      for_each_ordered(entries.size(), o.jobs, produce, consume);
      std::vector<std::string> gone_ids;
      while (archive.more()) {
        FileSummary g = archive.take_gone();
        if (!g.record_id.empty()) gone_ids.push_back(g.record_id);
        emit(g, Verification::Failed);
      }
      std::vector<std::uint32_t> by_id;  // files whose client was read, by record id (only if needed)
      const auto accounted = [&](const std::string& id) {
        if (by_id.empty()) {
          for (const auto& d : digests) by_id.push_back(d.first);
          std::sort(by_id.begin(), by_id.end(),
                    [&](std::uint32_t a, std::uint32_t b) { return record_id_of(a) < record_id_of(b); });
        }
        const auto it = std::lower_bound(by_id.begin(), by_id.end(), id,
                                         [&](std::uint32_t k, const std::string& v) { return record_id_of(k) < v; });
        return it != by_id.end() && record_id_of(*it) == id;
      };
      for (auto& [id, d] : back.unexpected(accounted)) {
        others.add(id, d);
        if (std::find(gone_ids.begin(), gone_ids.end(), id) == gone_ids.end()) {
          problems.push_back("client " + id + " is in the database but no file accounts for it");
        }
      }
    }
    // content_digest: every client read back, in record id order. Normally every
    // client belongs to a file: ordered by the files' names, without building ids.
    if (others.empty()) {
      std::vector<std::uint32_t> read_back(digests.size());
      std::iota(read_back.begin(), read_back.end(), 0u);
      rep.content_digest = content_digest_of_files(
          std::move(read_back), [&](std::uint32_t k) { return std::string_view(entries.name(digests[k].first)); },
          [&](std::uint32_t k) -> const RecordDigest& { return digests[k].second; });
    } else {
      ContentDigest all = std::move(others);
      for (const auto& [i, d] : digests) all.add(record_id_of(i), d);
      rep.content_digest = all.hex();
    }
    const std::string recorded = single_text(*db, "SELECT value FROM migration_meta WHERE key = 'content_digest'");
    if (recorded != *rep.content_digest) {
      problems.push_back("content_digest recomputed from the tables (" + *rep.content_digest +
                         ") differs from the one recorded at upgrade time (" + recorded + ")");
    }
    for (auto& p : sqlite_checks.result()) problems.insert(problems.begin(), std::move(p));
    sink.fill(rep);
    if (failed == 0 && problems.empty()) {
      rep.status = RunStatus::Succeeded;
      res.exit_code = ExitCode::Ok;
    } else {
      rep.status = RunStatus::Failed;
      res.exit_code = ExitCode::DataProblem;
      rep.message = "verification failed: " + std::to_string(rep.totals.verified_failed) + " file(s) differ";
      for (const auto& p : problems) rep.message += "; " + p;
    }
  } catch (const RunStop& stop) {
    end_run(res, stop.code, stop.message);
  } catch (const Cancelled&) {
    end_run(res, ExitCode::Cancelled, "cancelled before every record was checked");
  } catch (const fs::filesystem_error& e) {
    end_run(res, ExitCode::Usage, std::string("cannot read the store: ") + e.what());
  } catch (const DbError& e) {
    if (is_interrupt(e) && cancel && cancel->requested()) {
      end_run(res, ExitCode::Cancelled, "cancelled before every record was checked");
    } else {
      end_run(res, ExitCode::Internal, std::string("verification could not finish: ") + e.what());
    }
  } catch (const std::exception& e) {
    end_run(res, ExitCode::Internal, std::string("verification could not finish: ") + e.what());
  }

  rep.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace kms::core
