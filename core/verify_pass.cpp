#include "verify_pass.h"

#include <algorithm>

#include "content_digest.h"
#include "db_reader.h"
#include "ordered_pipeline.h"
#include "record_compare.h"

namespace kms::core {
namespace {

bool expects_client(const FileSummary& f) {
  return f.outcome == RecordOutcome::Migrated || f.outcome == RecordOutcome::Normalized;
}

}  // namespace

ClientReadBack::ClientReadBack(Db& db)
    : db_((db.exec("BEGIN"), db)),  // one read transaction: without it every SELECT locks and stats the file
      reader_(db),
      scanner_(db),
      exists_(db, "SELECT 1 FROM clients WHERE record_id = ?1") {}

ClientReadBack::~ClientReadBack() {
  try {
    db_.exec("COMMIT");
  } catch (const DbError&) {
    // A read transaction: nothing to lose; the connection is closed next.
  }
}

std::optional<ClientReadBack::Stored> ClientReadBack::read(const std::string& record_id, const Agrees& agrees) {
  std::optional<ClientRecord> rec = scanner_.take(record_id);
  const bool from_scan = rec.has_value();
  if (!from_scan) {
    all_from_scan_ = false;
    rec = reader_.read_client(record_id);
  }
  if (!rec) return std::nullopt;
  RecordDigest d = record_digest(*rec);
  if (from_scan && !agrees(*rec, d)) {
    rec = reader_.read_client(record_id);  // judged as read by key, whatever the rows' order
    d = record_digest(*rec);
  }
  return Stored{std::move(*rec), d};
}

bool ClientReadBack::exists(const std::string& record_id) {
  exists_.bind(1, record_id);
  const bool present = exists_.step();
  exists_.reset();
  return present;
}

std::vector<std::pair<std::string, RecordDigest>> ClientReadBack::unexpected(
    const std::function<bool(const std::string&)>& accounted) {
  std::vector<std::pair<std::string, RecordDigest>> out;
  // Every client row was taken, in order, by a file that expects it: none is unexpected.
  if (all_from_scan_ && scanner_.at_end()) return out;
  Stmt all(db_, "SELECT record_id FROM clients ORDER BY record_id");
  while (all.step()) {
    std::string id = all.text(0);
    if (accounted(id)) continue;
    if (const auto rec = reader_.read_client(id)) out.emplace_back(std::move(id), record_digest(*rec));
  }
  return out;
}

Verification judge_against_source(const std::optional<ClientRecord>& stored, FileSummary& f, AnalyzedFile&& now_file) {
  const FileSummary& fresh = now_file.summary;
  if (fresh.sha256 != f.sha256) {
    add_issue(f.issues, Severity::Error, "source-changed",
              fresh.sha256.empty() ? "the file can no longer be read" : "the file's bytes changed since they were read");
    return Verification::Failed;
  }
  if (!stored) {
    add_issue(f.issues, Severity::Error, "missing-in-target", "no client " + f.record_id + " in the database");
    return Verification::Failed;
  }
  if (!now_file.record) {
    add_issue(f.issues, Severity::Error, "field-mismatch", "the source no longer yields a valid record");
    return Verification::Failed;
  }
  const auto diff = compare_records(*now_file.record, *stored);
  if (diff.empty()) return Verification::Passed;
  std::string fields;
  for (const auto& d : diff) fields += (fields.empty() ? "" : ", ") + d;
  add_issue(f.issues, Severity::Error, "field-mismatch", "the database differs from the source in: " + fields);
  return Verification::Failed;
}

AnalyzedFile read_source(const StoreDir& clients, const FileSummary& f, const PassSettings& s) {
  StoreEntry entry;
  entry.name = f.path;
  entry.record_id = f.record_id;
  entry.kind = EntryKind::RecordFile;
  return analyze_entry(clients, entry, s.max_record_bytes, s.now);
}

VerifyResult verify_against_store(Db& db, const StoreDir& clients, std::vector<FileSummary>& files,
                                  const PassSettings& s, const std::vector<bool>* include) {
  VerifyResult out;
  out.verdicts.resize(files.size());
  ClientReadBack back(db);
  ContentDigest digest;                // of the database: every client read back
  std::vector<std::string> accounted;  // record ids whose client was looked for
  const auto included = [&](std::size_t i) { return include == nullptr || (*include)[i]; };
  std::function<std::optional<AnalyzedFile>(std::size_t)> produce = [&](std::size_t i) -> std::optional<AnalyzedFile> {
    throw_if_cancelled(s.cancel);
    if (!included(i) || !expects_client(files[i])) return std::nullopt;
    return read_source(clients, files[i], s);
  };
  std::function<void(std::size_t, std::optional<AnalyzedFile>&&)> consume = [&](std::size_t i, std::optional<AnalyzedFile>&& a) {
    throw_if_cancelled(s.cancel);
    FileSummary& f = files[i];
    if (expects_client(f)) {
      accounted.push_back(f.record_id);
      // A scanned record that matches the source as re-read cannot be judged otherwise by key.
      const auto agrees = [&](const ClientRecord& rec, const RecordDigest&) {
        return a && a->record && a->summary.sha256 == f.sha256 && compare_records(*a->record, rec).empty();
      };
      auto stored = back.read(f.record_id, agrees);
      if (stored) digest.add(f.record_id, stored->digest);
      if (included(i)) {
        std::optional<ClientRecord> rec;
        if (stored) rec = std::move(stored->record);
        out.verdicts[i] = judge_against_source(rec, f, std::move(*a));
      }
    } else if (!f.record_id.empty() && included(i)) {
      if (back.exists(f.record_id)) {  // files that share a record id are all rejected, so no client may carry it
        add_issue(f.issues, Severity::Error, "unexpected-in-target",
                  std::string("the database holds client ") + f.record_id + " though this file is " + outcome_name(f.outcome));
        out.verdicts[i] = Verification::Failed;
      } else {
        out.verdicts[i] = Verification::NotApplicable;
      }
    } else if (included(i)) {
      out.verdicts[i] = Verification::NotApplicable;
    }
    if (out.verdicts[i] == Verification::Failed) ++out.failed;
    if (s.progress) s.progress("verifying", i + 1, files.size());
  };
  for_each_ordered(files.size(), s.jobs, produce, consume);
  std::sort(accounted.begin(), accounted.end());
  for (auto& [id, d] : back.unexpected([&](const std::string& id) {
         return std::binary_search(accounted.begin(), accounted.end(), id);
       })) {
    digest.add(id, d);
    out.unexpected_record_ids.push_back(std::move(id));
  }
  out.failed += out.unexpected_record_ids.size();
  out.content_digest = digest.hex();
  return out;
}

}  // namespace kms::core
