#include "verify_pass.h"

#include <set>

#include "content_digest.h"
#include "db_reader.h"
#include "ordered_pipeline.h"
#include "record_compare.h"

namespace kms::core {
namespace {

bool expects_client(const FileSummary& f) {
  return f.outcome == RecordOutcome::Migrated || f.outcome == RecordOutcome::Normalized;
}

Verification check_one(DbReader& reader, ContentDigest& digest, FileSummary& f, AnalyzedFile&& now_file) {
  const auto stored = reader.read_client(f.record_id);
  if (stored) digest.add(stored->record_id, record_digest(*stored));  // the digest is of the database
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

}  // namespace

VerifyResult verify_against_store(Db& db, const fs::path& clients, std::vector<FileSummary>& files,
                                  const PassSettings& s) {
  VerifyResult out;
  out.verdicts.resize(files.size());
  // One read transaction for the whole pass: without it every SELECT takes and
  // drops the shared lock and stats the file again.
  db.exec("BEGIN");
  DbReader reader(db);
  ContentDigest digest;
  Stmt exists(db, "SELECT 1 FROM clients WHERE record_id = ?1");
  std::set<std::string> accounted;

  std::function<std::optional<AnalyzedFile>(std::size_t)> produce = [&](std::size_t i) -> std::optional<AnalyzedFile> {
    throw_if_cancelled(s.cancel);
    if (!expects_client(files[i])) return std::nullopt;
    StoreEntry entry;
    entry.name = files[i].path;
    entry.record_id = files[i].record_id;
    entry.kind = EntryKind::RecordFile;
    return analyze_entry(clients, entry, s.max_record_bytes, s.now);
  };
  std::function<void(std::size_t, std::optional<AnalyzedFile>&&)> consume = [&](std::size_t i, std::optional<AnalyzedFile>&& a) {
    throw_if_cancelled(s.cancel);
    FileSummary& f = files[i];
    if (a) {
      accounted.insert(f.record_id);
      out.verdicts[i] = check_one(reader, digest, f, std::move(*a));
    } else if (!f.record_id.empty() && !accounted.count(f.record_id)) {
      exists.bind(1, f.record_id);
      const bool present = exists.step();
      exists.reset();
      if (present) {
        add_issue(f.issues, Severity::Error, "unexpected-in-target",
                  std::string("the database holds client ") + f.record_id + " though this file is " + outcome_name(f.outcome));
        out.verdicts[i] = Verification::Failed;
      } else {
        out.verdicts[i] = Verification::NotApplicable;
      }
    } else {
      out.verdicts[i] = Verification::NotApplicable;
    }
    if (out.verdicts[i] == Verification::Failed) ++out.failed;
    if (s.progress) s.progress("verifying", i + 1, files.size());
  };
  for_each_ordered(files.size(), s.jobs, produce, consume);

  Stmt all(db, "SELECT record_id FROM clients ORDER BY record_id");
  while (all.step()) {
    const std::string id = all.text(0);
    if (accounted.count(id)) continue;
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
