#include "verify_command.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>

#include "content_digest.h"
#include "cross_checks.h"
#include "db_writer.h"
#include "differences.h"
#include "file_track.h"
#include "integrity_check.h"
#include "issue_json.h"
#include "manifest_check.h"
#include "ordered_pipeline.h"
#include "report_sink.h"
#include "run_end.h"
#include "run_facts.h"
#include "sqlite_handle.h"
#include "store_analysis.h"
#include "store_digest.h"
#include "summary_spool.h"
#include "text_util.h"
#include "timestamp.h"
#include "verify_judged.h"
#include "verify_pass.h"
#include "verify_rows.h"
#include "verify_tables.h"
#include "verify_target.h"

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

using detail::Archive;
using detail::Judged;
using detail::ReportRows;

/// One file of the store, read and parsed on a worker, with its record's digest.
struct SourceFile {
  AnalyzedFile file;
  std::optional<RecordDigest> digest;
};

/// The time the upgrade judged the store at (certificate-expired depends on it).
std::time_t judged_at(const Meta& meta) {
  const auto it = meta.find("started_at");
  if (it == meta.end()) return std::time(nullptr);
  const auto t = parse_iso_utc(it->second);
  return t ? *t : std::time(nullptr);
}

/// Differences of each kind named in the status line (the rest are counted there).
constexpr std::size_t kShown = 3;

/// One run of verify, in the steps of its phase list.
class VerifyRun {
 public:
  VerifyRun(const VerifyOptions& o, const CancelFlag* cancel, const ProgressFn& progress, ReportSink& sink,
            RunResult& res)
      : o_(o), cancel_(cancel), progress_(progress), sink_(sink), res_(res) {}

  void run() {
    rep_.command = Command::Verify;
    rep_.source = o_.source.string();
    rep_.target = o_.target.string();
    rep_.tool_version = o_.tool_version;
    rep_.command_line = o_.command_line;
    rep_.started_at = iso_utc(std::time(nullptr));
    rep_.host = host_name();
    rep_.operator_name = operator_name();
    try {
      open();
      // SQLite's whole-file checks run meanwhile, on their own connection and thread.
      BackgroundCheck sqlite_checks(target_->path(), {}, OpenMode::ReadOnlyImmutable, cancel_, longest_value_);
      read_and_compare();
      phase("cross_file");
      if (progress_) progress_("report", 0, 0);
      judge_and_report();
      phase("judge_report");
      check_manifest();
      digest_and_tables();
      phase("tables");
      if (progress_) progress_("integrity check", 0, 0);
      problems_.add_all("sqlite", sqlite_checks.result());
      throw_if_cancelled(cancel_);  // a cancel during the checks: no verdict is given
      phase("sqlite_checks");
      verdict();
    } catch (...) {
      FailureWords words;
      words.cancelled = checked_ < entries_.size() && checked_ > 0
                            ? "cancelled after checking " + grouped(checked_) + " of " + grouped(entries_.size()) +
                                  " files; the database and the store were not changed"
                            : "cancelled before every record was checked; the database and the store were not changed";
      words.database_kind = ExitCode::DataProblem;
      words.database = "verification failed: the database cannot be read as kms-migrate writes it: ";
      words.store = "cannot read the store: ";
      words.other = "verification could not finish: ";
      end_run_on_exception(res_, cancel_, words);
    }
    if (rep_.status != RunStatus::Succeeded) sink_.fill(rep_);
    rep_.finished_at = iso_utc(std::time(nullptr));
    rep_.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  /// What is read beside the store, in path order, during the one pass.
  struct Readers {
    Readers(Db& db, ClientReadBack::Reading reading, Differences& out)
        : back(db, reading), archive(db), rows(db, out) {}
    ClientReadBack back;  // first: it opens the read transaction
    Archive archive;
    ReportRows rows;
  };

  void phase(const char* name) {
    const auto now = std::chrono::steady_clock::now();
    rep_.phases.emplace_back(name, std::chrono::duration<double>(now - lap_).count());
    lap_ = now;
  }

  /// The store, the database (its schema first: nothing else is asked of a
  /// database whose tables may be views or carry triggers) and what the upgrade recorded.
  void open() {
    if (o_.manifest) {
      auto m = read_manifest(*o_.manifest);
      if (!m.ok()) throw Stop(m.error());
      manifest_ = std::move(m.value());
    }
    const auto clients = find_clients_dir(o_.source, cancel_);
    if (!clients.ok()) throw Stop(clients.error());
    // The longest value a record file under the limit can give (its bytes, a
    // certificate, the issues' JSON), with room to spare.
    const std::int64_t limit = o_.max_record_bytes.value_or(kDefaultMaxRecordSize);
    longest_value_ = static_cast<int>(std::min<std::int64_t>(
        std::max<std::int64_t>(std::int64_t{16} << 20, 2 * limit + (std::int64_t{1} << 20)), std::int64_t{1} << 30));
    target_.emplace(o_.target, longest_value_);
    db_ = &target_->db();
    problems_.add_all("schema", schema_differences(*db_));
    if (!problems_.empty()) {
      throw Stop(ExitCode::DataProblem,
                 "verification failed: the database's schema is not kms-migrate's: " + problems_.summary(kShown));
    }
    problems_.add_all("file", target_->file_differences());  // a difference, not a stop: the rest is still read
    meta_ = read_meta(*db_);
    // The operator's limit, never the database's: a recorded limit that differs is a difference (meta check).
    limit_ = o_.max_record_bytes.value_or(kDefaultMaxRecordSize);
    rep_.max_record_size = limit_;
    const auto src = meta_.find("source");
    if (src != meta_.end() && fs::absolute(o_.source) != fs::path(src->second)) {
      res_.notes.push_back("the database was made from '" + src->second + "'; it is checked against '" +
                           o_.source.string() + "'");
    }
    now_ = judged_at(meta_);
    const auto allowed = meta_.find("allow_rejected");
    rep_.allow_rejected = allowed != meta_.end() && allowed->second == "1";  // what its upgrade decided
    dir_.emplace(clients.value());
    entries_ = list_names(*dir_, cancel_);
    spool_.emplace();
  }

  /// One pass: each file of the store is read and parsed once (in parallel, in
  /// order) and held to its archived row and its client, read in the same order
  /// beside it; then the cross-file rules, and the clients no file accounts for.
  void read_and_compare() {
    if (compare_all(ClientReadBack::Reading::ScanFirst)) return;
    // A row lies outside the order kms-migrate writes in (added later for an
    // earlier client, or no client's): the scan cannot say which record it
    // belongs to, so every client is compared again as read by key.
    res_.notes.push_back(
        "the database's rows are not in the order kms-migrate writes them: every client was read again by its key");
    spool_.emplace();
    problems_ = Differences();
    report_diffs_again_.clear();
    others_ = ContentDigest();
    checked_ = 0;
    compare_all(ClientReadBack::Reading::ByKeyOnly);
  }

  /// The pass over the store and the database; false (and nothing concluded)
  /// when the scan left a row of a client table that no record compared took.
  bool compare_all(ClientReadBack::Reading reading) {
    Readers r(*db_, reading, problems_);
    std::function<SourceFile(std::size_t)> produce = [&](std::size_t i) {
      throw_if_cancelled(cancel_);
      SourceFile s{analyze_entry(*dir_, entries_.entry(i), limit_, now_, cancel_), std::nullopt};
      if (s.file.record) s.digest = record_digest(*s.file.record);
      return s;
    };
    std::function<void(std::size_t, SourceFile &&)> consume = [&](std::size_t i, SourceFile&& s) {
      compare(r, i, std::move(s));
    };
    phase("open_schema");
    for_each_ordered(entries_.size(), o_.workers, produce, consume);
    while (r.archive.more()) gone(r);  // the files after the store's last, their clients passed over
    if (reading == ClientReadBack::Reading::ScanFirst && !r.back.every_row_taken()) return false;
    r.rows.rest();
    phase("read_compare");
    if (progress_) progress_("cross-file checks", 0, 0);
    apply_cross_file_rules(r);
    find_unexpected_clients(r);
    account_rows(r.back.rows_read(), reading);
    return true;
  }

  /// Every row of the client tables is part of a client compared, or named.
  /// After a scan that took every row in order that holds by construction; the
  /// counts are checked all the same.
  void account_rows(ClientRows accounted, ClientReadBack::Reading reading) {
    if (reading == ClientReadBack::Reading::ByKeyOnly) accounted.add(orphan_rows(*db_, problems_));
    row_count_differences(table_rows(*db_), accounted, problems_);
  }

  /// A legacy_files row whose file the store no longer has.
  void gone(Readers& r) {
    Judged g = r.archive.take_gone();
    if (expects_client(g.f.outcome)) r.back.pass_over(g.f.record_id);  // the scan goes on past its client
    r.rows.pass(g.f.path);
    spool_->append(g.f, detail::encode_judged_extra(g), false);
  }

  /// One file of the store against its archived row, its client and its report row.
  void compare(Readers& r, std::size_t i, SourceFile&& s) {
    throw_if_cancelled(cancel_);
    checked_ = i + 1;
    if (progress_) progress_("verifying", i + 1, entries_.size());
    while (r.archive.more() && r.archive.path() < s.file.summary.path) gone(r);
    Judged j;
    if (r.archive.more() && r.archive.path() == s.file.summary.path) r.archive.take(s.file, j);
    const std::string& id = s.file.summary.record_id;
    if (expects_client(s.file.summary.outcome)) {
      compare_client(r, s, j);
    } else if (!id.empty()) {
      j.client_present = r.back.exists(id);
    }
    // Its report row, as the upgrade must have written it (the cross-file rules may change a few, below).
    if (j.in_archive && !j.source_changed) {
      j.report_diffs = r.rows.compare(s.file.summary);
    } else {
      r.rows.pass(s.file.summary.path);
    }
    spool_->append(s.file.summary, detail::encode_judged_extra(j));
  }

  /// Field by field (certificate and key bytes included); the stored record's
  /// digest, for content_digest, is the parsed one's when they are equal.
  void compare_client(Readers& r, const SourceFile& s, Judged& j) {
    const auto stored = r.back.compare(s.file.summary.record_id, *s.file.record);
    j.client_present = stored.present;
    j.client_read = true;
    if (!stored.present) return;
    j.stored_digest = stored.digest ? *stored.digest : *s.digest;
    if (!stored.differences.empty()) {
      add_issue(j.client_issues, IssueId::FieldMismatch, mismatch_message(stored.differences, s.file));
    }
  }

  /// The cross-file rules, by the upgrade's own code, over every file of the
  /// store; the report rows of the files they change are compared again.
  void apply_cross_file_rules(Readers& r) {
    const std::vector<std::size_t> changed = spool_->apply_cross_file_rules();
    const auto in_changed = [&](std::size_t i) { return std::binary_search(changed.begin(), changed.end(), i); };
    spool_->each(in_changed, [&](std::size_t i, FileSummary& f, std::string_view extra) {
      Judged j;
      detail::decode_judged_extra(extra, j);
      if (j.in_archive && !j.source_changed) report_diffs_again_[i] = r.rows.compare_again(f);
    });
  }

  /// Calls `f` with every path's Judged, in path order, the cross-file rules applied.
  void each_judged(const std::function<void(std::size_t, Judged&)>& f) {
    spool_->each([&](std::size_t i, FileSummary& summary, std::string_view extra) {
      Judged j;
      detail::decode_judged_extra(extra, j);
      j.f = std::move(summary);
      if (const auto it = report_diffs_again_.find(i); it != report_diffs_again_.end()) j.report_diffs = it->second;
      f(i, j);
    });
  }

  /// The record ids of the clients read back, sorted (only when the database
  /// holds clients its scan did not meet: a damaged or altered database).
  std::vector<std::string> ids_read_back() {
    std::vector<std::string> ids;
    each_judged([&](std::size_t, Judged& j) {
      if (j.stored_digest) ids.push_back(j.f.record_id);
    });
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  /// Clients no file of the store can account for: into the digest, and a
  /// problem when neither the store nor legacy_files names them.
  void find_unexpected_clients(Readers& r) {
    std::optional<std::vector<std::string>> read_back;
    const auto accounted = [&](const std::string& id) {
      if (!read_back) read_back = ids_read_back();
      return std::binary_search(read_back->begin(), read_back->end(), id);
    };
    std::optional<std::vector<std::string>> named_by_files;  // record ids of the store's and the archive's files
    r.back.unexpected(accounted, [&](std::string id, const RecordDigest& d) {
      if (!named_by_files) {
        named_by_files.emplace();
        each_judged([&](std::size_t, Judged& j) {
          if (!j.f.record_id.empty()) named_by_files->push_back(j.f.record_id);
        });
        std::sort(named_by_files->begin(), named_by_files->end());
      }
      // Into the digest while they are few; beyond that the run fails anyway and
      // the digest is not computed (memory stays flat whatever the database holds).
      if (others_count_++ < kMaxOthers) others_.add(id, d);
      if (!std::binary_search(named_by_files->begin(), named_by_files->end(), id)) {
        problems_.add("clients",
                      "client " + id + " is in the database, but no file of the store or of legacy_files has its name");
      }
    });
  }

  /// With --manifest: every entry of the store against it.
  void check_manifest() {
    if (!manifest_) return;
    if (progress_) progress_("checking the manifest", 0, 0);
    ManifestCheck check(*manifest_, dir_->fd());
    each_judged([&](std::size_t, Judged& j) {
      throw_if_cancelled(cancel_);
      if (!j.gone) check.entry(j.f.path, j.f.sha256);
    });
    rep_.manifest = check.finish();
    if (rep_.manifest->differences()) problems_.add("manifest", rep_.manifest->failure());
    phase("manifest");
  }

  /// Every path's verdict, in path order, to the report.
  void judge_and_report() {
    each_judged([&](std::size_t, Judged& j) {
      throw_if_cancelled(cancel_);
      if (!j.gone) add_to(store_, j.f);  // the store as derived (its files only), in the same pass
      const Verification v = detail::judge(j);
      if (j.gone) count_file(rep_.database_only, j.f.outcome, effective_verification(j.f, v));
      if (!j.gone) ++(j.in_archive && !j.source_changed ? same_bytes_ : other_bytes_);
      sink_.add(j.f, v);
    });
  }

  /// content_digest (every client read back, in record id order), then
  /// migration_meta and password_policy against what the store implies.
  void digest_and_tables() {
    if (others_.empty()) {
      rep_.content_digest = content_digest_streamed([&](const DigestVisitor& digest) {
        each_judged([&](std::size_t, Judged& j) {
          if (j.stored_digest) digest(record_id_part(j.f.path), *j.stored_digest);
        });
      });
    } else if (others_count_ > kMaxOthers) {
      rep_.content_digest = "";  // not computed: too many clients no file accounts for (they are named)
    } else {
      ContentDigest all = std::move(others_);
      each_judged([&](std::size_t, Judged& j) {
        if (j.stored_digest) all.add(j.f.record_id, *j.stored_digest);
      });
      rep_.content_digest = all.hex();
    }
    rep_.store_digest = store_.hex();
    sink_.fill(rep_);
    ExpectedMeta expected;
    expected.counts = rep_.store_side();  // what the store implies: its own files
    expected.content_digest = *rep_.content_digest;
    expected.store_digest = *rep_.store_digest;
    expected.max_record_size = limit_;
    if (o_.expect_digest) {
      const auto differs = expected_digest_differences();
      if (!differs.empty()) rep_.digest_not_expected = differs.front();
      problems_.add_all("expected digest", differs);
    }
    problems_.add_all("migration_meta", meta_differences(meta_, expected));
    password_policy_differences(*db_, problems_);
  }

  /// --expect-digest: either digest, as both the store and the database give it
  /// (the database's own values are held to these by the meta check).
  std::vector<std::string> expected_digest_differences() const {
    std::string want = *o_.expect_digest;
    for (char& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (want == *rep_.content_digest || want == *rep_.store_digest) return {};
    return {"neither digest is the one expected (" + want + "): content_digest is " + *rep_.content_digest +
            ", store_digest is " + *rep_.store_digest};
  }

  void verdict() {
    if (rep_.totals.verified_failed == 0 && problems_.empty()) {
      rep_.status = RunStatus::Succeeded;
      res_.exit_code = ExitCode::Ok;
      return;
    }
    rep_.status = RunStatus::Failed;
    res_.exit_code = ExitCode::DataProblem;
    rep_.wrong_store = wrong_store();
    if (rep_.wrong_store) {
      rep_.message = *rep_.wrong_store;  // the one line; the lists and the reports hold the rest
    } else {
      rep_.message = "verification failed";
      if (rep_.totals.verified_failed)
        rep_.message += ": " + std::to_string(rep_.totals.verified_failed) + " file(s) differ";
      if (!problems_.empty()) rep_.message += "; " + problems_.summary(kShown);
    }
    rep_.table_differences = problems_.listed();
    rep_.table_difference_count = problems_.total();
  }

  /// When the database was made from another store: its recorded store digest
  /// differs from this store's and the files disagree wholesale: more of them
  /// are missing from the database, changed since it archived them, or in the
  /// database only, than are the bytes it archived. A store changed in a few
  /// files, or read with another size limit, is not another store: its
  /// differences are listed as such. Said in one line, both sides named, each
  /// with its digest.
  std::optional<std::string> wrong_store() const {
    const auto recorded = meta_.find("store_digest"), src = meta_.find("source");
    if (recorded == meta_.end() || src == meta_.end() || !rep_.store_digest) return std::nullopt;
    if (recorded->second == *rep_.store_digest) return std::nullopt;
    const std::size_t only_db = rep_.database_only.files_seen;
    if (other_bytes_ + only_db <= same_bytes_) return std::nullopt;
    const std::string counts = grouped(other_bytes_) + " of the store's " + grouped(other_bytes_ + same_bytes_) +
                               " files are not the bytes the database archived, " + grouped(only_db) +
                               " file(s) are only in the database";
    if (fs::absolute(o_.source).lexically_normal() == fs::path(src->second).lexically_normal()) {
      return "the store at '" + src->second + "' is not the one this database was made from (store digest then " +
             recorded->second + ", now " + *rep_.store_digest + "): replaced since the upgrade? " + counts;
    }
    return "this database was made from '" + src->second + "' (store digest " + recorded->second +
           "); this store is '" + o_.source.string() + "' (store digest " + *rep_.store_digest + "): wrong --source? " +
           counts;
  }

  const VerifyOptions& o_;
  const CancelFlag* cancel_;
  const ProgressFn& progress_;
  ReportSink& sink_;
  RunResult& res_;
  RunReport& rep_ = res_.report;
  const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point lap_ = t0_;
  StoreDigest store_;      // fed by judge_and_report()
  int longest_value_ = 0;  // the longest value any connection of verify reads
  std::optional<VerifyTarget> target_;
  Db* db_ = nullptr;  // target_'s connection
  Meta meta_;
  std::int64_t limit_ = kDefaultMaxRecordSize;
  std::time_t now_ = 0;
  std::optional<StoreDir> dir_;
  std::optional<Manifest> manifest_;
  StoreListing entries_;
  std::optional<SummarySpool> spool_;  // every path, store and database, in path order: its Judged, on disk
  std::map<std::size_t, std::vector<std::string>> report_diffs_again_;  // of the files the cross-file rules changed
  static constexpr std::size_t kMaxOthers = 10000;
  std::size_t others_count_ = 0;  // clients no file accounts for, all of them counted
  ContentDigest others_;          // clients no file of the store accounts for
  Differences problems_;
  std::size_t same_bytes_ = 0;   // the store's files whose bytes the database archived
  std::size_t other_bytes_ = 0;  // the store's files it did not (not archived, or changed since)
  std::size_t checked_ = 0;      // files compared so far, for a cancelled run's message
};

}  // namespace

RunResult run_verify(const VerifyOptions& o, const CancelFlag* cancel, const ProgressFn& progress, ReportSink* report) {
  ReportSink counts_only;
  RunResult res;
  VerifyRun(o, cancel, progress, report ? *report : counts_only, res).run();
  return res;
}

}  // namespace kms::core
