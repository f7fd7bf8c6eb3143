#include "scan_command.h"

#include "content_digest.h"
#include "outcome.h"
#include "run_end.h"
#include "store_analysis.h"
#include "text_util.h"

namespace kms::core {
namespace {

bool matches_mailbox(const FileSummary& f, const std::string& query) {
  return (!f.mailbox_dn.empty() && iequals(f.mailbox_dn, query)) || (!f.alias.empty() && iequals(f.alias, query));
}

}  // namespace

ScanResult run_scan(const ScanOptions& o, const CancelFlag* cancel, const ProgressFn& progress) {
  ScanResult res;
  const auto clients = find_clients_dir(o.source);
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
    if (o.mailbox) {
      for (std::size_t i = 0; i < a.files.size(); ++i) {
        if (!matches_mailbox(a.files[i], *o.mailbox)) continue;
        MailboxMatch m{a.files[i], std::nullopt};
        if (a.files[i].outcome == RecordOutcome::Migrated || a.files[i].outcome == RecordOutcome::Normalized) {
          m.record = analyze_entry(dir, a.entries[i], o.max_record_bytes, as.now).record;
        }
        res.matches.push_back(std::move(m));
      }
    }
    std::vector<std::uint32_t> written;
    for (std::uint32_t i = 0; i < a.files.size(); ++i) {
      if (expects_client(a.files[i].outcome) && a.files[i].written_digest) written.push_back(i);
    }
    res.content_digest = content_digest_of_files(
        std::move(written), [&](std::uint32_t i) { return std::string_view(a.entries[i].name); },
        [&](std::uint32_t i) -> const RecordDigest& { return *a.files[i].written_digest; });
    res.files = std::move(a.files);
    res.exit_code = o.mailbox && res.matches.empty() ? ExitCode::DataProblem : ExitCode::Ok;
    if (o.mailbox && res.matches.empty()) res.message = "no file holds the mailbox \"" + *o.mailbox + "\"";
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
