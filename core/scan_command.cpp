#include "scan_command.h"

#include <map>

#include "report.h"
#include "safe_text.h"
#include "store_analysis.h"
#include "text_util.h"

namespace kms::core {
namespace {

bool matches_mailbox(const FileSummary& f, const std::string& query) {
  return (!f.mailbox_dn.empty() && iequals(f.mailbox_dn, query)) || (!f.alias.empty() && iequals(f.alias, query));
}

nlohmann::ordered_json opt(const std::optional<std::string>& s) {
  return s ? nlohmann::ordered_json(mask_embedded_secrets(*s)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json record_detail(const ClientRecord& r) {
  nlohmann::ordered_json j;
  j["mailbox_dn"] = mask_embedded_secrets(r.mailbox_dn);
  j["display_name"] = opt(r.display_name);
  j["alias"] = opt(r.alias);
  j["state"] = state_name(r.state);
  j["legacy_state"] = r.legacy_state;
  j["token"] = r.token ? nlohmann::ordered_json("(set, masked)") : nlohmann::ordered_json(nullptr);
  j["created_at"] = opt(r.created_at);
  j["modified_at"] = opt(r.modified_at);
  j["certificates"] = nlohmann::ordered_json::array();
  for (const auto& c : r.certificates) {
    nlohmann::ordered_json cj;
    cj["kind"] = kind_name(c.kind);
    cj["seq"] = c.seq;
    cj["serial"] = c.serial;
    cj["subject"] = c.subject;
    cj["issuer"] = c.issuer;
    cj["not_before"] = c.not_before;
    cj["not_after"] = c.not_after;
    cj["sha1_thumbprint"] = c.sha1_thumbprint;
    cj["revoked"] = c.revoked;
    cj["revoked_at"] = opt(c.revoked_at);
    j["certificates"].push_back(cj);
  }
  j["escrowed_keys"] = nlohmann::ordered_json::array();
  for (const auto& k : r.keys) j["escrowed_keys"].push_back({{"seq", k.seq}, {"bytes", k.key_blob.size()}});
  j["extra_keys"] = nlohmann::ordered_json::array();
  for (const auto& x : r.extras) j["extra_keys"].push_back(shown_name(x.section) + "." + shown_name(x.key));
  return j;
}

}  // namespace

ScanResult run_scan(const ScanOptions& o, const CancelFlag* cancel, const ProgressFn& progress) {
  ScanResult res;
  std::string error;
  const auto clients = find_clients_dir(o.source, error);
  if (!clients) {
    res.exit_code = ExitCode::Usage;
    res.message = error;
    return res;
  }
  res.clients = clients->string();
  const PassSettings as{o.max_record_bytes, std::time(nullptr), o.jobs, cancel, progress};
  try {
    const StoreDir dir(*clients);
    StoreAnalysis a = analyse_store(dir, as);
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
    res.files = std::move(a.files);
    res.exit_code = o.mailbox && res.matches.empty() ? ExitCode::DataProblem : ExitCode::Ok;
    if (o.mailbox && res.matches.empty()) res.message = "no file holds the mailbox \"" + *o.mailbox + "\"";
  } catch (const Cancelled&) {
    res.exit_code = ExitCode::Cancelled;
    res.message = "cancelled";
  } catch (const std::exception& e) {
    res.exit_code = ExitCode::Usage;
    res.message = std::string("cannot read the store: ") + e.what();
  }
  return res;
}

nlohmann::ordered_json scan_json(const ScanOptions& o, const ScanResult& r) {
  const Counts c = count_outcomes(r.files);
  nlohmann::ordered_json j;
  j["source"] = o.source.string();
  j["clients_folder"] = r.clients;
  j["files_seen"] = c.files_seen;
  j["migrated"] = c.migrated;
  j["normalized"] = c.normalized;
  j["rejected"] = c.rejected;
  j["skipped"] = c.skipped;
  std::map<std::string, int> states;
  for (const auto& f : r.files) {
    if (f.outcome != RecordOutcome::Skipped) ++states[f.legacy_state ? std::to_string(*f.legacy_state) : "unknown"];
  }
  j["records_by_legacy_state"] = states;
  j["normalizations"] = nlohmann::ordered_json::array();
  j["records_with_issues"] = nlohmann::ordered_json::array();
  for (const auto& f : r.files) {
    if (f.outcome == RecordOutcome::Normalized) {
      for (const auto& i : f.issues) {
        if (i.code == "recovery-never-enrolled") {
          j["normalizations"].push_back({{"path", f.path}, {"mailbox_dn", mask_embedded_secrets(f.mailbox_dn)}, {"rule", i.code},
                                         {"from", "recovery"}, {"to", "new"}, {"reason", i.message}});
        }
      }
    }
    if (f.outcome == RecordOutcome::Skipped || f.issues.empty()) continue;
    nlohmann::ordered_json codes = nlohmann::ordered_json::array();
    for (const auto& i : f.issues) codes.push_back(i.code);
    j["records_with_issues"].push_back({{"path", f.path}, {"mailbox_dn", f.mailbox_dn.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(mask_embedded_secrets(f.mailbox_dn))},
                                        {"outcome", outcome_name(f.outcome)}, {"codes", codes}});
  }
  if (o.mailbox) {
    nlohmann::ordered_json m;
    m["query"] = mask_embedded_secrets(*o.mailbox);
    m["matches"] = nlohmann::ordered_json::array();
    for (const auto& match : r.matches) {
      nlohmann::ordered_json x;
      x["path"] = match.summary.path;
      x["record_id"] = match.summary.record_id;
      x["outcome"] = outcome_name(match.summary.outcome);
      x["record"] = match.record ? record_detail(*match.record) : nlohmann::ordered_json(nullptr);
      x["issues"] = nlohmann::ordered_json::parse(issues_json_text(match.summary.issues));
      m["matches"].push_back(x);
    }
    j["mailbox"] = m;
  }
  return j;
}

}  // namespace kms::core
