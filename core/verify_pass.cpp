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

/// Compares a stored record with a fresh read of its source file and names what differs.
Verification compare_with_source(const std::optional<ClientRecord>& stored, FileSummary& f, AnalyzedFile&& now_file) {
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

/// Whether a record assembled by the scan is the one the source gives, so that
/// reading it again by key could not change the verdict.
bool agrees(const ClientRecord& stored, const RecordDigest& got, const FileSummary& f,
            const std::optional<AnalyzedFile>& fresh, SourceCheck mode) {
  if (mode == SourceCheck::WrittenDigest && f.written_digest) return got == *f.written_digest;
  return fresh && fresh->record && fresh->summary.sha256 == f.sha256 && compare_records(*fresh->record, stored).empty();
}

AnalyzedFile read_source(const StoreDir& clients, const FileSummary& f, const PassSettings& s) {
  StoreEntry entry;
  entry.name = f.path;
  entry.record_id = f.record_id;
  entry.kind = EntryKind::RecordFile;
  return analyze_entry(clients, entry, s.max_record_bytes, s.now);
}

}  // namespace

VerifyResult verify_against_store(Db& db, const StoreDir& clients, std::vector<FileSummary>& files,
                                  const PassSettings& s, SourceCheck mode, const std::vector<bool>* include) {
  VerifyResult out;
  out.verdicts.resize(files.size());
  // One read transaction for the whole pass: without it every SELECT takes and
  // drops the shared lock and stats the file again.
  db.exec("BEGIN");
  DbReader reader(db);    // by key: for what the scan cannot answer
  DbScanner scanner(db);  // every table once, in the order the upgrade wrote it
  bool all_from_scan = true;
  ContentDigest digest;
  Stmt exists(db, "SELECT 1 FROM clients WHERE record_id = ?1");
  std::vector<std::size_t> accounted;  // files whose client was looked for

  const auto included = [&](std::size_t i) { return include == nullptr || (*include)[i]; };
  const auto reread = [&](const FileSummary& f) {
    return expects_client(f) && (mode == SourceCheck::Reread || !f.written_digest);
  };
  std::function<std::optional<AnalyzedFile>(std::size_t)> produce = [&](std::size_t i) -> std::optional<AnalyzedFile> {
    throw_if_cancelled(s.cancel);
    if (!included(i) || !reread(files[i])) return std::nullopt;
    return read_source(clients, files[i], s);
  };
  std::function<void(std::size_t, std::optional<AnalyzedFile>&&)> consume = [&](std::size_t i, std::optional<AnalyzedFile>&& a) {
    throw_if_cancelled(s.cancel);
    FileSummary& f = files[i];
    if (expects_client(f)) {
      accounted.push_back(i);
      std::optional<ClientRecord> stored = scanner.take(f.record_id);
      const bool from_scan = stored.has_value();
      if (!from_scan) {
        all_from_scan = false;
        stored = reader.read_client(f.record_id);
      }
      std::optional<RecordDigest> got;
      if (stored) got = record_digest(*stored);
      if (from_scan && !agrees(*stored, *got, f, a, mode)) {
        stored = reader.read_client(f.record_id);  // judged as read by key, whatever the rows' order
        got = record_digest(*stored);
      }
      if (stored) digest.add(stored->record_id, *got);  // the digest is of the database
      if (!included(i)) {
        // The caller has judged this file already.
      } else if (a) {
        out.verdicts[i] = compare_with_source(stored, f, std::move(*a));
      } else if (got && got == f.written_digest) {
        out.verdicts[i] = Verification::Passed;  // every field, byte for byte, as parsed from the source
      } else {
        out.verdicts[i] = compare_with_source(stored, f, read_source(clients, f, s));  // name what differs
        if (out.verdicts[i] == Verification::Passed) {
          out.verdicts[i] = Verification::Failed;
          add_issue(f.issues, Severity::Error, "field-mismatch", "the record read back is not the record that was written");
        }
      }
    } else if (!f.record_id.empty() && included(i)) {
      exists.bind(1, f.record_id);
      const bool present = exists.step();
      exists.reset();
      if (present) {  // files that share a record id are all rejected, so no client may carry it
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
  for_each_ordered(files.size(), mode == SourceCheck::Reread ? s.jobs : 1, produce, consume);

  if (all_from_scan && scanner.at_end()) {
    // Every client row was taken, in order, by a file that expects it: none is unexpected.
    out.content_digest = digest.hex();
    db.exec("COMMIT");
    return out;
  }
  std::sort(accounted.begin(), accounted.end(),
            [&](std::size_t a, std::size_t b) { return files[a].record_id < files[b].record_id; });
  Stmt all(db, "SELECT record_id FROM clients ORDER BY record_id");
  while (all.step()) {
    const std::string id = all.text(0);
    const auto it = std::lower_bound(accounted.begin(), accounted.end(), id,
                                     [&](std::size_t k, const std::string& v) { return files[k].record_id < v; });
    if (it != accounted.end() && files[*it].record_id == id) continue;
    out.unexpected_record_ids.push_back(id);
    if (const auto rec = reader.read_client(id)) digest.add(id, record_digest(*rec));
  }
  out.failed += out.unexpected_record_ids.size();
  out.content_digest = digest.hex();
  all.reset();
  db.exec("COMMIT");
  return out;
}

}  // namespace kms::core
