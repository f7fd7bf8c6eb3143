#include "verify_command.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "content_digest.h"
#include "cross_checks.h"
#include "db_writer.h"
#include "file_track.h"
#include "integrity_check.h"
#include "issue_json.h"
#include "ordered_pipeline.h"
#include "report_sink.h"
#include "run_end.h"
#include "sqlite_handle.h"
#include "store_analysis.h"
#include "text_util.h"
#include "timestamp.h"
#include "verify_pass.h"
#include "verify_tables.h"

namespace fs = std::filesystem;

// verify trusts nothing in the database. It derives what the database must
// hold from the store as it is now, with the upgrade's own reading and rules
// (analyze_entry, then apply_cross_file_rules over every file), at the time
// and with the size limit the upgrade recorded, and compares in both
// directions: every file's legacy_files row (outcome, record id, size, sha256,
// the raw bytes against the file's), its client (every field, certificate,
// key and extra attribute, through the record digest), its migration_report
// row, and then the schema, password_policy and migration_meta.

namespace kms::core {
namespace {

std::optional<std::string> non_empty(const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); }

/// Opens the target read-only, the main file alone, and proves it is a kms-migrate database of this schema.
std::unique_ptr<Db> open_target(const fs::path& target) {
  std::error_code ec;
  if (!fs::is_regular_file(target, ec)) throw Stop(ExitCode::Usage, "no database at '" + target.string() + "'");
  for (const char* suffix : {"-wal", "-journal"}) {
    const fs::path beside = target.string() + suffix;
    if (fs::exists(fs::symlink_status(beside, ec))) {
      throw Stop(ExitCode::Usage, "'" + beside.string() + "' lies beside the database: it may hold changes that the file itself " +
                        "lacks, and verify checks the file alone. If it belongs to the database, fold it in first " +
                        "(sqlite3 '" + target.string() + "' 'PRAGMA wal_checkpoint(TRUNCATE)', on a copy), or move it away");
    }
  }
  auto db = std::make_unique<Db>(target.string(), OpenMode::ReadOnlyImmutable);
  std::int64_t app = 0, version = 0;
  try {
    Stmt a(*db, "PRAGMA application_id");
    if (a.step()) app = a.integer(0);
    Stmt v(*db, "PRAGMA user_version");
    if (v.step()) version = v.integer(0);
  } catch (const DbError& e) {
    throw Stop(ExitCode::Usage, "'" + target.string() + "' is not a kms-migrate database: " + e.what());
  }
  if (app != kApplicationId) {
    throw Stop(ExitCode::Usage, "'" + target.string() + "' is not a kms-migrate database (application_id " +
                                       std::to_string(app) + ", expected " + std::to_string(kApplicationId) + ")");
  }
  if (version != kSchemaVersion) {
    throw Stop(ExitCode::Usage, "'" + target.string() + "' has schema version " + std::to_string(version) +
                                       "; this kms-migrate reads version " + std::to_string(kSchemaVersion));
  }
  return db;
}

/// One file of the store, read and parsed on a worker, with its record's digest.
struct SourceFile {
  AnalyzedFile file;
  std::optional<RecordDigest> digest;
};

/// What verify found for one path, before the cross-file rules decide the final outcomes.
struct Judged {
  FileSummary f;              ///< as derived from the store (for a gone file: as the database holds it)
  bool gone = false;          ///< in the database, not in the store
  bool in_archive = false;    ///< legacy_files has the path
  bool source_changed = false;
  std::string archived_outcome;
  std::vector<std::string> archive_diffs;  ///< legacy_files columns that differ from the file
  bool client_present = false;
  bool client_read = false;                ///< compared field by field (the outcome expected a client)
  Issues client_issues;                    ///< what that comparison found
  std::vector<std::string> report_diffs;   ///< migration_report columns that differ (["row"]: no row)
};

/// legacy_files in path order, beside the store.
class Archive {
 public:
  explicit Archive(Db& db)
      : rows_(db, "SELECT path, record_id, size, sha256, raw, outcome FROM legacy_files ORDER BY path") {
    more_ = rows_.step();
  }
  bool more() const { return more_; }
  std::string_view path() const { return rows_.text_view(0); }
  /// The current row as a file the store no longer has; then the next row.
  Judged take_gone() {
    Judged j;
    j.gone = true;
    j.f.path = rows_.text(0);
    j.f.record_id = rows_.text(1);
    j.f.sha256 = rows_.text(3);
    j.f.outcome = outcome_of(rows_.text(5));
    add_issue(j.f.issues, Severity::Error, "unexpected-in-target",
              "the database holds this file" + std::string(expects_client(j.f.outcome) ? " and its client" : "") +
                  ", but the store no longer has it");
    more_ = rows_.step();
    return j;
  }
  /// Compares the current row with the file as read now; then the next row.
  void take(const AnalyzedFile& a, Judged& j) {
    const FileSummary& f = a.summary;
    j.in_archive = true;
    j.archived_outcome = rows_.text(5);
    j.source_changed = rows_.opt_text(3) != non_empty(f.sha256);
    if (rows_.opt_text(1) != non_empty(f.record_id)) j.archive_diffs.push_back("record_id");
    const std::optional<std::int64_t> size = rows_.is_null(2) ? std::nullopt : std::optional<std::int64_t>(rows_.integer(2));
    if (size != f.size) j.archive_diffs.push_back("size");
    // The archived bytes themselves, against the bytes of the file read now.
    const bool raw_null = rows_.is_null(4);
    if (raw_null != !a.raw.has_value()) {
      j.archive_diffs.push_back("raw");
    } else if (a.raw) {
      const auto raw = rows_.blob_view(4);
      if (raw.size() != a.raw->size() || !std::equal(raw.begin(), raw.end(), a.raw->begin())) j.archive_diffs.push_back("raw");
    }
    more_ = rows_.step();
  }

 private:
  static RecordOutcome outcome_of(const std::string& s) {
    if (s == "migrated") return RecordOutcome::Migrated;
    if (s == "normalized") return RecordOutcome::Normalized;
    if (s == "rejected") return RecordOutcome::Rejected;
    return RecordOutcome::Skipped;
  }
  Stmt rows_;
  bool more_ = false;
};

/// migration_report in path order, compared with the rows the upgrade would have written.
class ReportRows {
 public:
  explicit ReportRows(Db& db)
      : rows_(db, (std::string(kColumns) + " ORDER BY path").c_str()), one_(db, (std::string(kColumns) + " WHERE path = ?1").c_str()) {
    more_ = rows_.step();
  }
  /// The same comparison for one row found by its path (a file the cross-file rules changed after the scan).
  std::vector<std::string> compare_again(const FileSummary& expected) {
    one_.reset();
    one_.bind(1, expected.path);
    if (!one_.step()) return {"row"};
    return differences(one_, expected);
  }
  /// Rows before `path` that no file accounts for: each a problem.
  void skip_to(const std::string& path, std::vector<std::string>& problems) {
    while (more_ && rows_.text_view(0) < path) {
      problems.push_back("migration_report has a row for '" + rows_.text(0) + "', a file neither the store nor legacy_files has");
      more_ = rows_.step();
    }
  }
  /// The columns of `path`'s row that differ from `expected` (["row"] if it has none); then the next row.
  std::vector<std::string> compare(const FileSummary& expected) {
    skip_to(expected.path, ignored_);
    if (!more_ || rows_.text_view(0) != expected.path) return {"row"};
    auto diffs = differences(rows_, expected);
    more_ = rows_.step();
    return diffs;
  }
  /// A row for a file the store no longer has (reported on its own); then the next row.
  void pass(const std::string& path) {
    skip_to(path, ignored_);
    if (more_ && rows_.text_view(0) == path) more_ = rows_.step();
  }
  /// The rows after the last file: each a problem, as are those skipped on the way.
  void rest(std::vector<std::string>& problems) {
    problems.insert(problems.end(), ignored_.begin(), ignored_.end());
    for (; more_; more_ = rows_.step()) {
      problems.push_back("migration_report has a row for '" + rows_.text(0) + "', a file neither the store nor legacy_files has");
    }
  }

 private:
  static constexpr const char* kColumns =
      "SELECT path, record_id, mailbox_dn, sha256, outcome, state, legacy_state, issues, verification FROM migration_report";

  static std::vector<std::string> differences(const Stmt& row, const FileSummary& expected) {
    std::vector<std::string> diffs;
    // NULL where the text is empty or absent, as the upgrade writes it; compared without copies.
    const auto col = [&](int i, std::string_view want, bool null, const char* name) {
      if (row.is_null(i) != null || (!null && row.text_view(i) != want)) diffs.push_back(name);
    };
    col(1, expected.record_id, expected.record_id.empty(), "record_id");
    col(2, expected.mailbox_dn, expected.mailbox_dn.empty(), "mailbox_dn");
    col(3, expected.sha256, expected.sha256.empty(), "sha256");
    col(4, outcome_name(expected.outcome), false, "outcome");
    col(5, expected.state ? state_name(*expected.state) : "", !expected.state, "state");
    const std::optional<std::int64_t> legacy = row.is_null(6) ? std::nullopt : std::optional<std::int64_t>(row.integer(6));
    if (legacy != (expected.legacy_state ? std::optional<std::int64_t>(*expected.legacy_state) : std::nullopt)) {
      diffs.push_back("legacy_state");
    }
    col(7, issues_json_text(expected.issues), false, "issues");
    col(8, expects_client(expected.outcome) ? "passed" : "not-applicable", false, "verification");
    return diffs;
  }

  Stmt rows_, one_;
  bool more_ = false;
  std::vector<std::string> ignored_;  // rows found while looking for a file's: reported at the end
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// The final verdict on one path, once the cross-file rules have given every file its outcome.
Verification judge(Judged& j) {
  FileSummary& f = j.f;
  if (j.gone) return Verification::Failed;
  Issues found;
  const auto error = [&](const char* code, std::string msg) { add_issue(found, Severity::Error, code, std::move(msg)); };
  if (!j.in_archive) {
    error("missing-in-target", "this file is not in the database (added to the store after the upgrade?)");
  } else if (j.source_changed) {
    error("source-changed", "the file's bytes differ from those archived at upgrade time");
  } else {
    if (j.archived_outcome != outcome_name(f.outcome)) {
      error("field-mismatch", "legacy_files says '" + j.archived_outcome + "'; the file as read now is " +
                                  outcome_name(f.outcome));
    }
    if (!j.archive_diffs.empty()) error("field-mismatch", "legacy_files differs from the file in: " + joined(j.archive_diffs));
  }
  if (expects_client(f.outcome)) {
    if (!j.client_present) {
      if (j.in_archive && !j.source_changed) error("missing-in-target", "no client " + f.record_id + " in the database");
    } else if (j.client_read && !j.source_changed) {
      found.insert(found.end(), j.client_issues.begin(), j.client_issues.end());
    }
  } else if (j.client_present) {
    error("unexpected-in-target", "the database holds client " + f.record_id + " though this file is " + outcome_name(f.outcome));
  }
  if (!j.report_diffs.empty()) {
    error("field-mismatch", j.report_diffs == std::vector<std::string>{"row"}
                                ? "migration_report has no row for this file"
                                : "migration_report differs from what the file implies in: " + joined(j.report_diffs));
  }
  const bool failed = !found.empty();
  f.issues.insert(f.issues.end(), found.begin(), found.end());
  if (failed) return Verification::Failed;
  return expects_client(f.outcome) ? Verification::Passed : Verification::NotApplicable;
}

/// The time the upgrade judged the store at (certificate-expired depends on it).
std::time_t judged_at(const Meta& meta) {
  const auto it = meta.find("started_at");
  if (it == meta.end()) return std::time(nullptr);
  const auto t = parse_iso_utc(it->second);
  return t ? *t : std::time(nullptr);
}

/// Seconds since `t`, and `t` moved to now: for the report's phase list.
double lap(std::chrono::steady_clock::time_point& t) {
  const auto now = std::chrono::steady_clock::now();
  const double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
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
  auto t = t0;
  try {
    const auto clients = find_clients_dir(o.source);
    if (!clients.ok()) throw Stop(clients.error());
    auto db = open_target(o.target);
    std::vector<std::string> problems = schema_differences(*db);
    if (!problems.empty()) {
      // Nothing else is asked of a database whose tables may be views or carry triggers.
      throw Stop(ExitCode::DataProblem, "verification failed: the database's schema is not kms-migrate's: " + joined(problems));
    }
    const Meta meta = read_meta(*db);
    std::int64_t limit = o.max_record_bytes.value_or(1 << 20);
    if (!o.max_record_bytes) {
      const auto it = meta.find("max_record_size");
      const auto recorded = it == meta.end() ? std::nullopt : parse_decimal(it->second);
      if (recorded && *recorded > 0) {
        limit = *recorded;
        res.notes.push_back("record files are read with the size limit the upgrade used: " + it->second + " bytes");
      }
    }
    const auto src = meta.find("source");
    if (src != meta.end() && fs::absolute(o.source) != fs::path(src->second)) {
      res.notes.push_back("the database was made from '" + src->second + "'; it is checked against '" + o.source.string() + "'");
    }
    const std::time_t now = judged_at(meta);
    // SQLite's whole-file checks run meanwhile, on their own connection and thread.
    BackgroundCheck sqlite_checks(o.target.string(), {}, OpenMode::ReadOnlyImmutable);
    const StoreDir dir(clients.value());
    const StoreListing entries = list_names(dir);
    const auto record_id_of = [&](std::uint32_t i) { return record_id_of_name(entries.name(i)); };
    std::vector<Judged> judged;  // every path, store and database, in path order
    judged.reserve(entries.size());
    std::vector<std::pair<std::uint32_t, RecordDigest>> digests;  // entry, digest of its client as stored
    ContentDigest others;  // clients no file of the store accounts for
    {
      // One pass: each file of the store is read and parsed once (in parallel, in
      // order) and held to its archived row and its client, read in the same order beside it.
      ClientReadBack back(*db);  // first: it opens the read transaction
      Archive archive(*db);
      ReportRows rows(*db);
      const auto gone = [&] {
        Judged g = archive.take_gone();
        rows.pass(g.f.path);
        judged.push_back(std::move(g));
      };
      std::function<SourceFile(std::size_t)> produce = [&](std::size_t i) {
        throw_if_cancelled(cancel);
        SourceFile s{analyze_entry(dir, entries.entry(i), limit, now), std::nullopt};
        if (s.file.record) s.digest = record_digest(*s.file.record);
        return s;
      };
      std::function<void(std::size_t, SourceFile&&)> consume = [&](std::size_t i, SourceFile&& s) {
        throw_if_cancelled(cancel);
        if (progress) progress("verifying", i + 1, entries.size());
        while (archive.more() && archive.path() < s.file.summary.path) gone();
        Judged j;
        if (archive.more() && archive.path() == s.file.summary.path) archive.take(s.file, j);
        const std::string& id = s.file.summary.record_id;
        if (expects_client(s.file.summary.outcome)) {
          // Field by field (certificate and key bytes included); the stored record's
          // digest, for content_digest, is the parsed one's when they are equal.
          const auto stored = back.compare(id, *s.file.record);
          j.client_present = stored.present;
          j.client_read = true;
          if (stored.present) {
            digests.emplace_back(static_cast<std::uint32_t>(i), stored.digest ? *stored.digest : *s.digest);
            if (!stored.differences.empty()) {
              std::string fields;
              for (const auto& d : stored.differences) fields += (fields.empty() ? "" : ", ") + d;
              add_issue(j.client_issues, Severity::Error, "field-mismatch", "the database differs from the source in: " + fields);
            }
          }
        } else if (!id.empty()) {
          j.client_present = back.exists(id);
        }
        // Its report row, as the upgrade must have written it (the cross-file rules may change a few, below).
        if (j.in_archive && !j.source_changed) {
          j.report_diffs = rows.compare(s.file.summary);
        } else {
          rows.pass(s.file.summary.path);
        }
        j.f = std::move(s.file.summary);
        judged.push_back(std::move(j));
      };
      rep.phases.emplace_back("open_schema", lap(t));
      for_each_ordered(entries.size(), o.jobs, produce, consume);
      while (archive.more()) gone();
      rows.rest(problems);
      rep.phases.emplace_back("read_compare", lap(t));
      // The cross-file rules, by the upgrade's own code, over every file of the store.
      std::vector<FileSummary*> files;
      std::vector<Judged*> owners;
      files.reserve(judged.size());
      owners.reserve(judged.size());
      for (auto& j : judged) {
        if (j.gone) continue;
        files.push_back(&j.f);
        owners.push_back(&j);
      }
      for (std::size_t k : apply_cross_file_rules_in_place(files)) {
        Judged& j = *owners[k];
        if (j.in_archive && !j.source_changed) j.report_diffs = rows.compare_again(j.f);
      }
      // Clients no file of the store can account for.
      std::vector<std::uint32_t> by_id;
      const auto accounted = [&](const std::string& id) {
        if (by_id.empty()) {
          for (const auto& d : digests) by_id.push_back(d.first);
          std::sort(by_id.begin(), by_id.end(), [&](std::uint32_t a, std::uint32_t b) { return record_id_of(a) < record_id_of(b); });
        }
        const auto it = std::lower_bound(by_id.begin(), by_id.end(), id,
                                         [&](std::uint32_t k, const std::string& v) { return record_id_of(k) < v; });
        return it != by_id.end() && record_id_of(*it) == id;
      };
      std::vector<std::string> named_by_files;  // record ids of the store's and the archive's files
      for (const auto& j : judged) {
        if (!j.f.record_id.empty()) named_by_files.push_back(j.f.record_id);
      }
      std::sort(named_by_files.begin(), named_by_files.end());
      for (auto& [id, d] : back.unexpected(accounted)) {
        others.add(id, d);
        if (!std::binary_search(named_by_files.begin(), named_by_files.end(), id)) {
          problems.push_back("client " + id + " is in the database, but no file of the store or of legacy_files has its name");
        }
      }
    }
    rep.phases.emplace_back("cross_file", lap(t));
    // Every path's verdict, in path order.
    for (Judged& j : judged) {
      throw_if_cancelled(cancel);
      const Verification v = judge(j);
      sink.add(j.f, v);
    }
    rep.phases.emplace_back("judge_report", lap(t));
    // content_digest: every client read back, in record id order.
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
    sink.fill(rep);
    ExpectedMeta expected;
    expected.counts = rep.totals;
    expected.content_digest = *rep.content_digest;
    expected.max_record_size = limit;
    for (auto& p : meta_differences(meta, expected)) problems.push_back(std::move(p));
    for (auto& p : password_policy_differences(*db)) problems.push_back(std::move(p));
    rep.phases.emplace_back("tables", lap(t));
    for (auto& p : sqlite_checks.result()) problems.insert(problems.begin(), std::move(p));
    rep.phases.emplace_back("sqlite_checks", lap(t));
    if (rep.totals.verified_failed == 0 && problems.empty()) {
      rep.status = RunStatus::Succeeded;
      res.exit_code = ExitCode::Ok;
    } else {
      rep.status = RunStatus::Failed;
      res.exit_code = ExitCode::DataProblem;
      rep.message = "verification failed";
      if (rep.totals.verified_failed) rep.message += ": " + std::to_string(rep.totals.verified_failed) + " file(s) differ";
      for (const auto& p : problems) rep.message += "; " + p;
    }
  } catch (...) {
    FailureWords words;
    words.cancelled = "cancelled before every record was checked";
    words.database_kind = ExitCode::DataProblem;
    words.database = "verification failed: the database cannot be read as kms-migrate writes it: ";
    words.store = "cannot read the store: ";
    words.other = "verification could not finish: ";
    end_run_on_exception(res, cancel, words);
  }
  if (rep.status != RunStatus::Succeeded) sink.fill(rep);
  rep.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace kms::core
