#include "scan_command.h"

#include "content_digest.h"
#include "empty_store.h"
#include "outcome.h"
#include "run_end.h"
#include "safe_text.h"
#include "store_analysis.h"
#include "store_digest.h"
#include "text_util.h"

namespace kms::core {
namespace {

bool matches_mailbox(const FileSummary& f, const std::string& query) {
  return f.mailbox_dn.matches(query) || f.alias.matches(query);
}

/// Counts, legacy states, matches and the content digest, from the summaries read back.
void tally(ScanResult& res, const ScanOptions& o, const StoreDir& dir, const StoreAnalysis& a, std::time_t now,
           SkippedNames& skipped) {
  bool first = true;  // content_digest_streamed reads the files a second time when they are not in record id order
  StoreDigest store;
  res.content_digest = content_digest_streamed([&](const DigestVisitor& digest) {
    res.files->each([&](std::size_t i, FileSummary& f, std::string_view) {
      if (expects_client(f.outcome) && f.written_digest) digest(record_id_part(f.path), *f.written_digest);
      if (!first) return;
      add_to(store, f);
      count_file(res.counts, f.outcome, std::nullopt);
      if (f.outcome == RecordOutcome::Skipped) skipped.add(f.path);
      if (f.outcome != RecordOutcome::Skipped)
        ++res.legacy_states[f.legacy_state ? std::to_string(*f.legacy_state) : "unknown"];
      if (!o.mailbox || !matches_mailbox(f, *o.mailbox)) return;
      MailboxMatch m{f, std::nullopt, {}};
      if (f.outcome != RecordOutcome::Skipped) {
        const AnalyzedFile file = analyze_entry(dir, a.entries.entry(i), o.max_record_bytes, now);
        if (expects_client(f.outcome) && file.record && file.raw) {
          m.record = shown_record(*file.record, file_secrets(*file.raw));
        } else if (file.raw) {
          m.dates = file_dates(*file.raw);
        }
      }
      res.matches.push_back(std::move(m));
    });
    first = false;
  });
  res.store_digest = store.hex();
}

}  // namespace

void ScanResult::each_file(const std::function<void(const FileSummary&)>& f) const {
  if (files) files->each([&](std::size_t, FileSummary& s, std::string_view) { f(s); });
}

ScanResult run_scan(const ScanOptions& o, const CancelFlag* cancel, const ProgressFn& progress) {
  ScanResult res;
  std::optional<Manifest> manifest;
  if (o.manifest) {
    auto m = read_manifest(*o.manifest);
    if (!m.ok()) {
      res.exit_code = m.error().kind;
      res.message = m.error().message;
      return res;
    }
    manifest = std::move(m.value());
  }
  const auto clients = find_clients_dir(o.source, cancel);
  if (!clients.ok()) {
    res.exit_code = clients.error().kind;
    res.message = clients.error().message;
    return res;
  }
  res.clients = clients.value().string();
  const PassSettings as{o.max_record_bytes, std::time(nullptr), o.workers, cancel, progress, record_digest};
  try {
    const StoreDir dir(clients.value());
    StoreAnalysis a = analyze_store(dir, as);
    res.files = std::move(a.files);
    SkippedNames skipped;
    tally(res, o, dir, a, as.now, skipped);
    res.exit_code = ExitCode::Ok;
    if (manifest) {
      if (progress) progress("checking the manifest", 0, 0);
      ManifestCheck check(*manifest, dir.fd());
      res.each_file([&](const FileSummary& f) {
        throw_if_cancelled(cancel);
        check.entry(f.path, f.sha256);
      });
      res.manifest = check.finish();
    }
    if (res.manifest && res.manifest->differences()) {
      res.exit_code = ExitCode::DataProblem;
      res.message = res.manifest->failure();
    } else if (auto none = no_record_failure(res.counts, skipped)) {
      res.exit_code = ExitCode::DataProblem;
      res.message = std::move(*none);
    } else if (o.mailbox && res.matches.empty()) {
      res.exit_code = ExitCode::DataProblem;
      res.message = "no file holds the mailbox \"" + shown_field(*o.mailbox) + "\"";
    }
  } catch (...) {
    FailureWords words;
    words.cancelled = "cancelled";
    words.store = "cannot read the store: ";
    words.other = "scan could not finish: ";
    RunResult ended;
    end_run_on_exception(ended, cancel, words);
    res.exit_code = ended.exit_code;
    res.message = ended.report.message;
  }
  return res;
}

}  // namespace kms::core
