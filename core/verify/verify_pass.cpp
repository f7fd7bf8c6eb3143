#include "verify_pass.h"

#include <algorithm>

#include "content_digest.h"
#include "db_reader.h"
#include "record_compare.h"
#include "safe_text.h"
#include "sqlite_handle.h"

namespace kms::core {

namespace {

ClientRows rows_of(const ClientRecord& r) {
  ClientRows rows;
  rows.n = {1, r.certificates.size(), r.keys.size(), r.extras.size()};
  return rows;
}

}  // namespace

ClientReadBack::ClientReadBack(Db& db, Reading reading)
    : db_((db.exec("BEGIN"), db)),  // one read transaction: without it every SELECT locks and stats the file
      reader_(db),
      exists_(db, "SELECT 1 FROM clients WHERE record_id = ?1") {
  if (reading == Reading::ScanFirst) {
    scanner_.emplace(db);
  } else {
    all_from_scan_ = false;
  }
}

ClientReadBack::~ClientReadBack() {
  try {
    db_.exec("COMMIT");
  } catch (const DbError&) {
    // A read transaction: nothing to lose; the connection is closed next.
  }
}

std::optional<ClientRecord> ClientReadBack::fetch(const std::string& record_id, bool& from_scan) {
  std::optional<ClientRecord> rec = scanner_ ? scanner_->take(record_id) : std::nullopt;
  from_scan = rec.has_value();
  if (!from_scan) {
    rec = reader_.read_client(record_id);
    // A client elsewhere than where the scan stands: rows out of the written
    // order. A client that is nowhere (a file the cross-file rules reject
    // later, say) leaves the scan where it was: nothing to read again.
    if (rec) all_from_scan_ = false;
  }
  return rec;
}

std::optional<ClientReadBack::Stored> ClientReadBack::read(const std::string& record_id, const Agrees& agrees) {
  bool from_scan = false;
  std::optional<ClientRecord> rec = fetch(record_id, from_scan);
  if (!rec) return std::nullopt;
  RecordDigest d = record_digest(*rec);
  if (from_scan && !agrees(*rec, d)) {
    rec = reader_.read_client(record_id);  // judged as read by key, whatever the rows' order
    d = record_digest(*rec);
  }
  rows_.add(rows_of(*rec));
  return Stored{std::move(*rec), d};
}

ClientReadBack::Compared ClientReadBack::compare(const std::string& record_id, const ClientRecord& expected) {
  Compared c;
  bool from_scan = false;
  std::optional<ClientRecord> rec = fetch(record_id, from_scan);
  if (!rec) return c;
  c.present = true;
  c.differences = compare_records(expected, *rec);
  if (!c.differences.empty() && from_scan) {
    rec = reader_.read_client(record_id);  // judged as read by key, whatever the rows' order
    c.differences = compare_records(expected, *rec);
  }
  if (!c.differences.empty()) c.digest = record_digest(*rec);
  rows_.add(rows_of(*rec));
  return c;
}

bool ClientReadBack::exists(const std::string& record_id) {
  exists_.bind(1, record_id);
  const bool present = exists_.step();
  exists_.reset();
  return present;
}

bool ClientReadBack::every_row_taken() const { return all_from_scan_ && scanner_ && scanner_->all_taken(); }

void ClientReadBack::pass_over(const std::string& record_id) {
  if (!scanner_ || passed_over_.size() == kPassedOver) return;
  if (auto rec = scanner_->take(record_id)) {
    passed_over_.push_back({record_id, record_digest(*rec), rows_of(*rec)});
  }
}

void ClientReadBack::unexpected(const std::function<bool(const std::string&)>& accounted,
                                const std::function<void(std::string id, const RecordDigest&)>& each) {
  // Every client row was taken, in order, by a file that expects it or passed
  // over for a file the store no longer has: those are the unexpected ones.
  if (all_from_scan_ && scanner_ && scanner_->at_end()) {
    for (auto& p : passed_over_) {
      if (accounted(p.id)) continue;
      rows_.add(p.rows);
      each(std::move(p.id), p.digest);
    }
    return;
  }
  Stmt all(db_, "SELECT record_id FROM clients ORDER BY record_id");
  while (all.step()) {
    std::string id = all.text(0);
    if (accounted(id)) continue;
    if (const auto rec = reader_.read_client(id)) {
      rows_.add(rows_of(*rec));
      each(std::move(id), record_digest(*rec));
    }
  }
}

Verification judge_against_source(const std::optional<ClientRecord>& stored, FileSummary& f, AnalyzedFile&& now_file) {
  const FileSummary& fresh = now_file.summary;
  if (fresh.sha256 != f.sha256) {
    add_issue(
        f.issues, IssueId::SourceChanged,
        fresh.sha256.empty() ? "the file can no longer be read" : "the file's bytes changed since they were read");
    return Verification::Failed;
  }
  if (!stored) {
    add_issue(f.issues, IssueId::MissingInTarget, "no client " + f.record_id + " in the database");
    return Verification::Failed;
  }
  if (!now_file.record) {
    add_issue(f.issues, IssueId::FieldMismatch, "the source no longer yields a valid record");
    return Verification::Failed;
  }
  const auto diff = compare_records(*now_file.record, *stored);
  if (diff.empty()) return Verification::Passed;
  add_issue(f.issues, IssueId::FieldMismatch, mismatch_message(diff, now_file));
  return Verification::Failed;
}

std::string mismatch_message(const std::vector<std::string>& fields, const AnalyzedFile& file) {
  std::string message = "the database differs from the source in: ";
  for (std::size_t i = 0; i < fields.size(); ++i) message += (i ? ", " : "") + fields[i];
  if (file.raw) {
    const std::vector<std::string> texts = file_secrets(*file.raw);
    redact_secrets(message, {texts.begin(), texts.end()});
  }
  return message;
}

AnalyzedFile read_source(const StoreDir& clients, const FileSummary& f, const PassSettings& s) {
  StoreEntry entry;
  entry.name = f.path;
  entry.record_id = f.record_id;
  entry.kind = EntryKind::RecordFile;
  return analyze_entry(clients, entry, s.max_record_bytes, s.now, s.cancel);
}

}  // namespace kms::core
