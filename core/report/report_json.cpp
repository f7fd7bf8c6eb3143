#include "report_json.h"

#include "issue_json.h"
#include "safe_text.h"

namespace kms::core {
namespace {

template <typename Json>
std::string dump(const Json& j) {
  // Replace invalid UTF-8 (a file name from a foreign system) rather than fail.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::ordered_json null_or(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
}

}  // namespace

nlohmann::ordered_json record_json(const FileSummary& f, std::optional<Verification> v) {
  nlohmann::ordered_json j;
  j["type"] = "record";
  j["path"] = f.path;
  j["record_id"] = null_or(f.record_id);
  j["mailbox_dn"] = null_or(f.mailbox_dn.text);
  j["sha256"] = null_or(f.sha256);
  j["outcome"] = outcome_name(f.outcome);
  j["legacy_state"] = f.legacy_state ? nlohmann::ordered_json(*f.legacy_state) : nlohmann::ordered_json(nullptr);
  j["state"] = f.state ? nlohmann::ordered_json(state_name(*f.state)) : nlohmann::ordered_json(nullptr);
  j["issues"] = nlohmann::ordered_json::parse(issues_json_text(f.issues));
  j["verification"] = v ? nlohmann::ordered_json(verification_name(*v)) : nlohmann::ordered_json(nullptr);
  return j;
}

nlohmann::ordered_json manifest_json(const ManifestResult& m) {
  nlohmann::ordered_json j;
  j["path"] = m.path;
  j["sha256"] = m.file_sha256;
  j["format"] = m.format;
  j["result"] = m.differences() ? "differs" : "matches";
  j["listed"] = m.listed;
  j["outside_clients_folder"] = m.outside;
  j["matched"] = m.matched;
  j["differ"] = m.differ;
  j["missing_from_copy"] = m.missing;
  j["not_in_manifest"] = m.unlisted;
  j["differences"] = m.named;
  j["differences_not_named"] = m.named_more;
  return j;
}

nlohmann::ordered_json summary_json(const RunReport& r) {
  const Counts c = r.store_side();  // verify: the store's files; the database's own apart
  nlohmann::ordered_json j;
  j["type"] = "summary";
  j["command"] = command_name(r.command);
  j["command_line"] = r.command_shown();
  j["status"] = status_name(r.status);
  j["files_seen"] = c.files_seen;
  j["migrated"] = c.migrated;
  j["normalized"] = c.normalized;
  j["rejected"] = c.rejected;
  j["skipped"] = c.skipped;
  j["verified_passed"] = c.verified_passed;
  j["verified_failed"] = c.verified_failed;
  // The record lines above this summary: fewer than files_seen when the run
  // stopped before it had reported every file it counted.
  j["files_listed"] = r.files_listed ? nlohmann::ordered_json(*r.files_listed) : nlohmann::ordered_json(nullptr);
  j["source"] = r.source;
  j["target"] = r.target ? nlohmann::ordered_json(*r.target) : nlohmann::ordered_json(nullptr);
  j["content_digest"] = r.content_digest ? nlohmann::ordered_json(*r.content_digest) : nlohmann::ordered_json(nullptr);
  j["store_digest"] = r.store_digest ? nlohmann::ordered_json(*r.store_digest) : nlohmann::ordered_json(nullptr);
  j["elapsed_seconds"] = static_cast<double>(static_cast<long long>(r.elapsed_seconds * 1000)) / 1000.0;
  j["tool_version"] = null_or(r.tool_version);
  j["started_at"] = null_or(r.started_at);
  j["finished_at"] = null_or(r.finished_at);
  j["host"] = null_or(r.host);
  j["operator"] = null_or(r.operator_name);
  j["max_record_size"] =
      r.max_record_size > 0 ? nlohmann::ordered_json(r.max_record_size) : nlohmann::ordered_json(nullptr);
  j["allow_rejected"] = r.allow_rejected;  // verify: as the database records its upgrade
  j["rejected_accepted"] = r.accepted_rejects();
  j["blocked"] = r.blocked;
  j["store_failure"] = r.store_failure ? nlohmann::ordered_json(*r.store_failure) : nlohmann::ordered_json(nullptr);
  j["manifest"] = r.manifest ? manifest_json(*r.manifest) : nlohmann::ordered_json(nullptr);
  if (r.command == Command::Verify) {
    j["wrong_store"] = r.wrong_store ? nlohmann::ordered_json(*r.wrong_store) : nlohmann::ordered_json(nullptr);
    j["database_only_files"] = r.database_only.files_seen;  // in the database, not in the store: not in files_seen
    j["table_difference_count"] = r.table_difference_count;
    j["table_differences"] = r.table_differences;
  }
  nlohmann::ordered_json phases = nlohmann::ordered_json::object();
  for (const auto& [name, secs] : r.phases)
    phases[name] = static_cast<double>(static_cast<long long>(secs * 1000)) / 1000.0;
  j["phase_seconds"] = phases;
  j["message"] = null_or(r.message);
  return j;
}

std::string report_tail(ReportFormat format, const RunReport& r) {
  return format == ReportFormat::JsonLines ? json_inert(dump(summary_json(r))) + '\n' : "";
}

}  // namespace kms::core
