#include "scan_json.h"

#include <map>
#include <nlohmann/json.hpp>

#include "issue_json.h"
#include "outcome.h"
#include "safe_text.h"

namespace kms::core {
namespace {

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

nlohmann::ordered_json scan_document(const ScanOptions& o, const ScanResult& r) {
  const Counts c = count_outcomes(r.files);
  nlohmann::ordered_json j;
  j["source"] = o.source.string();
  j["clients_folder"] = r.clients;
  j["files_seen"] = c.files_seen;
  j["migrated"] = c.migrated;
  j["normalized"] = c.normalized;
  j["rejected"] = c.rejected;
  j["skipped"] = c.skipped;
  j["content_digest"] = r.content_digest;
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
          j["normalizations"].push_back({{"path", f.path},
                                         {"mailbox_dn", mask_embedded_secrets(f.mailbox_dn)},
                                         {"rule", i.code},
                                         {"from", "recovery"},
                                         {"to", "new"},
                                         {"reason", i.message}});
        }
      }
    }
    if (f.outcome == RecordOutcome::Skipped || f.issues.empty()) continue;
    nlohmann::ordered_json codes = nlohmann::ordered_json::array();
    for (const auto& i : f.issues) codes.push_back(i.code);
    j["records_with_issues"].push_back(
        {{"path", f.path},
         {"mailbox_dn", f.mailbox_dn.empty() ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(mask_embedded_secrets(f.mailbox_dn))},
         {"outcome", outcome_name(f.outcome)},
         {"codes", codes}});
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

}  // namespace

std::string scan_json(const ScanOptions& options, const ScanResult& result) {
  // Exact JSON, with DEL, C1 and the bidirectional controls escaped too: it may be read on a terminal.
  return json_inert(scan_document(options, result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace kms::core
