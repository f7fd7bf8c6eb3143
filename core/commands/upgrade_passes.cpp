// The passes of `upgrade` and `rehearse` over the store and the temporary
// database (upgrade_pipeline.h). Each file's rows, report row included, are
// written as it is read; what the later passes need is kept in its FileTrack.
#include <algorithm>
#include <unordered_map>

#include "cross_checks.h"
#include "failure.h"
#include "integrity_check.h"
#include "memory_release.h"
#include "ordered_pipeline.h"
#include "report_rows.h"
#include "run_facts.h"
#include "upgrade_pipeline.h"
#include "verify_pass.h"

namespace fs = std::filesystem;

namespace kms::core::detail {

void Pipeline::build(Db& db) {
  store_.emplace(clients_);
  try {
    listing_ = list_names(*store_, hooks_.cancel);
  } catch (const SystemError& e) {  // not permitted to list it: the operator's to fix; else the machine's
    if (!is_path_fault(e.error_number())) throw;
    throw Stop(ExitCode::Usage, std::string("cannot read the store: ") + e.what());
  }
  tracks_.reset(listing_);
  // The temporary file is discarded on any failure, so a journal would protect nothing. Foreign
  // keys are not enforced row by row (DbWriter deletes children itself); foreign_key_check
  // proves them over the whole file before the commit.
  db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;");
  db.exec("BEGIN");
  DbWriter writer(db, DbWriter::Schema::Create, opt_.db);
  std::function<AnalyzedFile(std::size_t)> produce = [&](std::size_t i) {
    throw_if_cancelled(hooks_.cancel);
    AnalyzedFile a = analyze_entry(*store_, listing_.entry(i), opt_.max_record_bytes, now_, hooks_.cancel);
    if (a.record) a.summary.written_digest = record_digest(*a.record);  // on the worker thread
    return a;
  };
  std::function<void(std::size_t, AnalyzedFile &&)> consume = [&](std::size_t i, AnalyzedFile&& a) {
    check_cancel();
    writer.write_legacy_file(a.summary, a.raw);
    // A second file with the same record id or MailboxDN is rejected with the
    // first by reject_duplicates(); only the first is written meanwhile.
    if (a.record) writer.write_client(*a.record);
    const bool written = a.record.has_value();
    // The verification column says 'passed' for a migrated record from the start: the
    // verification turns it to 'failed' if the record does not hold, and a database
    // with any failure is never committed. The report itself takes the verdict from the track.
    const bool migrated = expects_client(a.summary.outcome);
    writer.write_report_row(a.summary, migrated ? Verification::Passed : Verification::NotApplicable);
    tracks_.set(i, a.summary, written);
    progress("reading", i + 1, listing_.size());
  };
  for_each_ordered(listing_.size(), opt_.workers, produce, consume);
  release_free_memory();  // the workers' buffers, before the verification's caches
  writer.flush();
  db.exec("COMMIT");
  db.release_memory();  // the writer's page cache: it writes little from here on
  // The cross-file rules and the index built after the load, in a second
  // transaction after that release: the candidates' merge and the index's sort
  // take their buffers here (the file is not the target until it is renamed, so
  // two transactions are as safe as one).
  db.exec("BEGIN");
  progress("cross-file checks", 0, 0);
  reject_duplicates(db, writer);
  check_cancel();  // a cancel during the checks is said as such, not as one of the index build
  progress("index build", 0, 0);
  writer.create_indexes();  // the MailboxDN index in one sort, now that no two clients share one
  db.exec("COMMIT");
  db.release_memory();  // what the index's sort left
  release_free_memory();
  built_ = true;
}

// The cross-file rules (duplicate-record-id, duplicate-mailbox) of docs/legacy-store.md,
// applied by the same code as scan and verify use (apply_cross_file_rules) to the
// few files that share a record id or a MailboxDN key with another.
void Pipeline::reject_duplicates(Db& db, DbWriter& writer) {
  // Candidates: files whose record id, or MailboxDN key, another file shares; their
  // keys were noted with the tracks (16 bytes a key, sorted on disk past 64 Ki keys).
  const std::vector<std::uint32_t> candidates = tracks_.cross_file_candidates();
  if (candidates.empty()) return;
  std::vector<FileSummary> group;
  for (std::uint32_t i : candidates) {
    const FileTrack t = tracks_.get(i);
    group.push_back(report_row(db, i));
    group.back().mailbox_line = t.mailbox_line;
    // The row holds the DN's shown form; the track, what the whole DN's key was.
    MailboxField& dn = group.back().mailbox_dn;
    if (!dn.empty()) dn.key.assign(t.mailbox_key.begin(), t.mailbox_key.end());
  }
  for (std::size_t k : apply_cross_file_rules_to(group)) {  // the exact rules, on the files that may break them
    FileTrack t = tracks_.get(candidates[k]);
    writer.update_report_row(group[k], Verification::NotApplicable);
    writer.set_legacy_outcome(group[k].path, group[k].outcome);
    if (t.client_written) writer.delete_client(group[k].record_id);
    t.outcome = group[k].outcome;
    t.client_written = false;
    tracks_.put(candidates[k], t);
  }
}

// Every record read back on a connection of its own and held to the SHA-256 of
// the record parsed from its file; a difference is named field by field by
// reading the file again. SQLite's integrity and foreign-key checks of the whole
// file start on a third connection and run on until sqlite_checks() asks for
// their result: beside this pass, the source re-check and the report.
void Pipeline::verify(Db& db, const fs::path& db_path) {
  sqlite_checks_.emplace(db_path.string(), std::vector<std::string>{}, OpenMode::ReadOnly, hooks_.cancel);
  std::vector<FileSummary> failed;
  std::vector<std::pair<std::string, RecordDigest>> unexpected;
  {
    Db ro(db_path.string(), OpenMode::ReadOnly);
    ClientReadBack back(ro);
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      check_cancel();
      if (auto f = verify_file(ro, back, i)) failed.push_back(std::move(*f));
      progress("verifying", i + 1, tracks_.size());
    }
    back.unexpected([&](const std::string& id) { return client_of(id).has_value(); },
                    [&](std::string id, const RecordDigest& d) { unexpected.emplace_back(std::move(id), d); });
  }
  if (failed.empty() && unexpected.empty()) {
    // Every record read back hashed to the digest of its source record, so the
    // digest of what was written is the digest of the database. Record ids are the
    // lower-cased first 13 characters of the names.
    rep_.content_digest = tracks_digest([](const FileTrack& t) { return t.verification == Verification::Passed; });
    return;
  }
  sqlite_checks_.reset();  // a writer waits for no reader: the run fails anyway
  {                        // the report rows say what failed, for the report of this failed run
    DbWriter writer(db, DbWriter::Schema::Existing);
    db.exec("BEGIN");
    for (const auto& f : failed) writer.update_report_row(f, Verification::Failed);
    db.exec("COMMIT");
  }
  std::string msg = "verification failed: " + std::to_string(failed.size() + unexpected.size()) +
                    " record(s) differ between the database and the source";
  for (const auto& u : unexpected) msg += "; unexpected client " + u.first;
  throw Stop(ExitCode::DataProblem, msg);
}

// One file's record read back, and held to the digest of the record parsed
// from its file; its report row, with what failed, when it does not hold.
std::optional<FileSummary> Pipeline::verify_file(Db& ro, ClientReadBack& back, std::size_t i) {
  FileTrack t = tracks_.get(i);
  const auto verdict = [&](Verification v) {
    t.verification = v;
    tracks_.put(i, t);
  };
  const std::string record_id = tracks_.record_id(i);
  verdict(Verification::NotApplicable);
  if (expects_client(t.outcome)) {
    const auto as_written = [&](const ClientRecord&, const RecordDigest& d) { return d == t.written_digest; };
    auto stored = back.read(record_id, as_written);
    if (stored && t.client_written && stored->digest == t.written_digest) {
      verdict(Verification::Passed);  // every field, byte for byte, as parsed from the source
      return std::nullopt;
    }
    FileSummary f = report_row(ro, i);
    std::optional<ClientRecord> rec;
    if (stored) rec = std::move(stored->record);
    if (judge_against_source(rec, f, read_source(*store_, f, pass_)) == Verification::Passed)
      add_issue(f.issues, IssueId::FieldMismatch, "the record read back is not the record that was written");
    verdict(Verification::Failed);
    return f;
  }
  if (t.has_record_id && back.exists(record_id)) {
    // Files that share a record id are all rejected, so no client may carry it.
    FileSummary f = report_row(ro, i);
    add_issue(f.issues, IssueId::UnexpectedInTarget,
              "the database holds client " + record_id + " though this file is " + outcome_name(t.outcome));
    verdict(Verification::Failed);
    return f;
  }
  return std::nullopt;
}

FileSummary Pipeline::report_row(Db& db, std::size_t i) {
  const std::string path(tracks_.path(i));
  auto row = read_report_row(db, path);
  if (!row) throw Stop(ExitCode::Internal, "the temporary database has no report row for '" + path + "'");
  return std::move(*row);
}

std::optional<std::size_t> Pipeline::client_of(const std::string& record_id) {
  if (clients_by_id_.empty()) {  // built only when the scan could not account for every client
    for (std::uint32_t i = 0; i < tracks_.size(); ++i) {
      if (expects_client(tracks_.get(i).outcome)) clients_by_id_.push_back(i);
    }
    std::sort(clients_by_id_.begin(), clients_by_id_.end(),
              [&](std::uint32_t a, std::uint32_t b) { return tracks_.record_id(a) < tracks_.record_id(b); });
  }
  const auto it = std::lower_bound(clients_by_id_.begin(), clients_by_id_.end(), record_id,
                                   [&](std::uint32_t k, const std::string& id) { return tracks_.record_id(k) < id; });
  if (it == clients_by_id_.end() || tracks_.record_id(*it) != record_id) return std::nullopt;
  return *it;
}

void Pipeline::finish_database(Db& db) {
  const Counts c = tracks_.counts();
  rep_.finished_at = iso_utc(std::time(nullptr));  // the report says the same as the database
  db.exec("BEGIN");
  {
    DbWriter writer(db, DbWriter::Schema::Existing);
    const std::pair<const char*, std::string> meta[] = {
        {"schema_version", std::to_string(kSchemaVersion)},
        {"tool_version", opt_.tool_version},
        {"command", command_name(rep_.command)},
        {"started_at", rep_.started_at},
        {"finished_at", rep_.finished_at},
        {"source", fs::absolute(opt_.source).string()},
        {"target", rep_.target.value_or("")},
        {"content_digest", rep_.content_digest.value_or("")},
        {"store_digest", rep_.store_digest.value_or("")},
        {"allow_rejected", opt_.allow_rejected == AllowRejected::Yes ? "1" : "0"},
        {"max_record_size", std::to_string(opt_.max_record_bytes)},
        {"host", rep_.host},
        {"operator", rep_.operator_name},
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
  // The whole file was checked before (sqlite_checks()); these tables changed since.
  for (const auto& p : check_tables(db, {"migration_meta", "password_policy"})) throw Stop(ExitCode::Internal, p);
}

void Pipeline::sqlite_checks() {
  progress("integrity check", 0, 0);
  const auto problems = sqlite_checks_->result();
  sqlite_checks_.reset();
  check_cancel();  // the checks may have been cut short by it
  for (const auto& p : problems) throw Stop(ExitCode::Internal, p);
}

// Without a report file only the rows with issues matter (the terminal's lists);
// the counts come from the tracks.
void Pipeline::report_files(Db& db) {
  progress("report", 0, 0);
  std::size_t i = 0;
  const RowFilter filter = sink_.writes_file() ? RowFilter::All : RowFilter::WithIssues;
  for_each_report_row(db, filter, [&](const FileSummary& f, std::optional<Verification>) {
    while (i < tracks_.size() && tracks_.path(i) != f.path) ++i;
    if (i == tracks_.size()) throw InternalError("the report rows are out of order");
    // The verdict of this run (the column holds 'passed' until the verification has spoken).
    sink_.add(f, tracks_.get(i++).verification);
  });
  reported_ = true;
}

std::string Pipeline::tracks_digest(const std::function<bool(const FileTrack&)>& counted) {
  return content_digest_streamed([&](const DigestVisitor& digest) {
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      const FileTrack t = tracks_.get(i);
      if (counted(t)) digest(record_id_part(tracks_.path(i)), t.written_digest);
    }
  });
}

void Pipeline::add_row_issue(Db& db, std::size_t i, IssueId code, const std::string& message, Verification v) {
  sqlite_checks_.reset();  // a writer waits for no reader: the run fails anyway
  FileSummary f = report_row(db, i);
  add_issue(f.issues, code, message);
  DbWriter(db, DbWriter::Schema::Existing).update_report_row(f, v);
  FileTrack t = tracks_.get(i);
  t.verification = v;
  tracks_.put(i, t);
}

}  // namespace kms::core::detail
