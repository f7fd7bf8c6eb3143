#include "scan_json.h"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "failure.h"
#include "issue_json.h"
#include "outcome.h"
#include "report_json.h"
#include "safe_text.h"

namespace kms::core {
namespace {

nlohmann::ordered_json opt(const std::optional<std::string>& s) {
  return s ? nlohmann::ordered_json(*s) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json record_detail(const ClientRecord& r) {
  nlohmann::ordered_json j;
  j["mailbox_dn"] = r.mailbox_dn;
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

using Json = nlohmann::ordered_json;

std::string dumped(const Json& j) { return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace); }

/// The --mailbox query and every file that matched it, rejected ones too:
/// what the file said (shown forms), then the record when it is valid.
Json matches_document(const ScanOptions& o, const ScanResult& r) {
  Json m;
  m["query"] = shown_field(*o.mailbox);
  m["matches"] = Json::array();
  const auto text_or_null = [](const MailboxField& f) { return f.empty() ? Json(nullptr) : Json(f.text); };
  for (const auto& match : r.matches) {
    const FileSummary& f = match.summary;
    Json x;
    x["path"] = f.path;
    x["record_id"] = f.record_id;
    x["outcome"] = outcome_name(f.outcome);
    x["mailbox_dn"] = text_or_null(f.mailbox_dn);
    x["display_name"] = text_or_null(f.display_name);
    x["alias"] = text_or_null(f.alias);
    x["legacy_state"] = f.legacy_state ? Json(*f.legacy_state) : Json(nullptr);
    x["size"] = f.size ? Json(*f.size) : Json(nullptr);
    x["sha256"] = f.sha256.empty() ? Json(nullptr) : Json(f.sha256);
    x["record"] = match.record ? record_detail(*match.record) : Json(nullptr);
    if (!match.record) {  // what the file says of its dates, when it holds no valid record
      x["created"] = match.dates.created ? Json(*match.dates.created) : Json(nullptr);
      x["modified"] = match.dates.modified ? Json(*match.dates.modified) : Json(nullptr);
    }
    x["issues"] = Json::parse(issues_json_text(f.issues));
    m["matches"].push_back(x);
  }
  return m;
}

/// The document without the two lists that grow with the store (empty arrays in their places).
Json scan_document(const ScanOptions& o, const ScanResult& r) {
  const Counts& c = r.counts;
  Json j;
  j["source"] = o.source.string();
  j["clients_folder"] = r.clients;
  j["files_seen"] = c.files_seen;
  j["migrated"] = c.migrated;
  j["normalized"] = c.normalized;
  j["rejected"] = c.rejected;
  j["skipped"] = c.skipped;
  j["content_digest"] = r.content_digest;
  j["store_digest"] = r.store_digest;
  j["records_by_legacy_state"] = r.legacy_states;
  j["normalizations"] = Json::array();
  j["records_with_issues"] = Json::array();
  j["skipped_entries"] = Json::array();
  j["failure"] = r.message.empty() ? Json(nullptr) : Json(r.message);
  j["manifest"] = r.manifest ? Json(manifest_json(*r.manifest)) : Json(nullptr);
  if (o.mailbox) j["mailbox"] = matches_document(o, r);
  return j;
}

void add_normalizations(const FileSummary& f, const std::function<void(const Json&)>& element) {
  if (f.outcome != RecordOutcome::Normalized) return;
  for (const auto& i : f.issues) {
    if (!is(i, IssueId::RecoveryNeverEnrolled)) continue;
    element({{"path", f.path},
             {"mailbox_dn", f.mailbox_dn.text},
             {"rule", i.code},
             {"from", "recovery"},
             {"to", "new"},
             {"reason", i.message}});
  }
}

void add_with_issues(const FileSummary& f, const std::function<void(const Json&)>& element) {
  if (f.outcome == RecordOutcome::Skipped || f.issues.empty()) return;
  Json codes = Json::array();
  for (const auto& code : distinct_codes(f.issues)) codes.push_back(code);  // each once, as the CSV's
  element({{"path", f.path},
           {"mailbox_dn", f.mailbox_dn.empty() ? Json(nullptr) : Json(f.mailbox_dn.text)},
           {"outcome", outcome_name(f.outcome)},
           {"codes", codes}});
}

void add_skipped(const FileSummary& f, const std::function<void(const Json&)>& element) {
  if (f.outcome != RecordOutcome::Skipped) return;
  std::string reason;
  for (const auto& i : f.issues) {
    if (is(i, IssueId::NotARecord)) reason = i.message;
  }
  element({{"path", f.path}, {"reason", reason}});
}

/// One list of the root object, element by element, laid out as dump(2) lays out a nested array.
void stream_list(const ScanResult& r, const ScanText& out,
                 void (*add)(const FileSummary&, const std::function<void(const Json&)>&)) {
  bool any = false;
  r.each_file([&](const FileSummary& f) {
    add(f, [&](const Json& e) {
      std::string text = dumped(e);
      std::string indented = any ? ",\n    " : "[\n    ";
      for (char ch : text) indented += ch == '\n' ? std::string("\n    ") : std::string(1, ch);
      out(json_inert(std::move(indented)));
      any = true;
    });
  });
  out(any ? "\n  ]" : "[]");
}

}  // namespace

void write_scan_matches_json(const ScanOptions& options, const ScanResult& result, const ScanText& out) {
  out(json_inert(dumped(matches_document(options, result))));
}

void write_scan_json(const ScanOptions& options, const ScanResult& result, const ScanText& out) {
  // Exact JSON, with DEL, C1 and the bidirectional controls escaped too: it may be read on a terminal.
  const std::string doc = json_inert(dumped(scan_document(options, result)));
  // The lists that grow with the store are streamed in place of their empty arrays, in document order.
  const std::pair<const char*, void (*)(const FileSummary&, const std::function<void(const Json&)>&)> lists[] = {
      {"\"normalizations\": []", add_normalizations},
      {"\"records_with_issues\": []", add_with_issues},
      {"\"skipped_entries\": []", add_skipped}};
  std::size_t at = 0;
  for (const auto& [name, add] : lists) {
    const std::size_t found = doc.find(name, at);
    if (found == std::string::npos) throw InternalError("scan JSON: lists not found");
    const std::size_t open = found + std::string_view(name).size() - 2;
    out(std::string_view(doc).substr(at, open - at));
    stream_list(result, out, add);
    at = open + 2;
  }
  out(std::string_view(doc).substr(at));
}

}  // namespace kms::core
