#include "report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "issue_json.h"
#include "safe_text.h"
#include "text_util.h"

namespace kms::core {
namespace {

std::string csv_field(const std::string& s) { return csv_cell(s); }

std::string issue_text(const Issue& i) {
  std::string t = std::string(severity_name(i.severity)) + " " + i.code;
  if (i.line > 0) t += " (line " + std::to_string(i.line) + ")";
  return t + ": " + i.message;
}

}  // namespace

bool carries_warnings(const FileSummary& f) {
  if (f.outcome != RecordOutcome::Migrated && f.outcome != RecordOutcome::Normalized) return false;
  return std::any_of(f.issues.begin(), f.issues.end(), [](const Issue& i) {
    return i.severity == Severity::Warning && !is(i, IssueId::RecoveryNeverEnrolled);
  });
}

const char* status_name(RunStatus s) {
  switch (s) {
    case RunStatus::Succeeded:
      return "succeeded";
    case RunStatus::Failed:
      return "failed";
    case RunStatus::Cancelled:
      return "cancelled";
  }
  return "failed";
}

std::optional<ReportFormat> report_format_for(const std::filesystem::path& p) {
  const std::string ext = to_lower_ascii(p.extension().string());
  if (ext == ".jsonl") return ReportFormat::JsonLines;
  if (ext == ".csv") return ReportFormat::Csv;
  if (ext == ".html") return ReportFormat::Html;
  return std::nullopt;
}

namespace {

// JSON text as nlohmann's dump() writes it (UTF-8 kept, invalid bytes replaced),
// without building a JSON value for the common case of plain ASCII.
void append_string(std::string& out, const std::string& s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::ordered_json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out.push_back('"');
  out += s;
  out.push_back('"');
}

void append_text_or_null(std::string& out, const std::string& s) {
  if (s.empty()) {
    out += "null";
  } else {
    append_string(out, s);
  }
}

}  // namespace

std::string jsonl_record(const FileSummary& f, std::optional<Verification> v) {
  std::string out = "{\"type\":\"record\",\"path\":";
  out.reserve(256);
  append_string(out, f.path);
  out += ",\"record_id\":";
  append_text_or_null(out, f.record_id);
  out += ",\"mailbox_dn\":";
  append_text_or_null(out, f.mailbox_dn.text);
  out += ",\"sha256\":";
  append_text_or_null(out, f.sha256);
  out += ",\"outcome\":\"";
  out += outcome_name(f.outcome);
  out += "\",\"legacy_state\":";
  out += f.legacy_state ? std::to_string(*f.legacy_state) : "null";
  out += ",\"state\":";
  out += f.state ? std::string("\"") + state_name(*f.state) + "\"" : "null";
  out += ",\"issues\":";
  out += f.issues.empty() ? "[]" : issues_json_text(f.issues);
  out += ",\"verification\":";
  out += v ? std::string("\"") + verification_name(*v) + "\"" : "null";
  out += "}\n";
  return json_inert(std::move(out));
}

std::string csv_record(const FileSummary& f, std::optional<Verification> v) {
  std::string issues;
  for (const Issue& is : f.issues) issues += (issues.empty() ? "" : " | ") + issue_text(is);
  const std::string codes = distinct_codes_text(f.issues);
  return csv_field(f.path) + ',' + csv_field(f.record_id) + ',' + csv_field(f.mailbox_dn.text) + ',' +
         csv_field(f.display_name.text) + ',' + csv_field(f.alias.text) + ',' + f.sha256 + ',' +
         outcome_name(f.outcome) + ',' + (f.legacy_state ? std::to_string(*f.legacy_state) : "") + ',' +
         (f.state ? state_name(*f.state) : "") + ',' + csv_field(codes) + ',' + csv_field(issues) + ',' +
         (v ? verification_name(*v) : "") + "\r\n";
}

std::string report_head(ReportFormat format) {
  // The UTF-8 byte order mark first: Excel on Windows reads the file as UTF-8
  // only with it (docs/reports.md says how a script drops it).
  return format == ReportFormat::Csv ? "\xEF\xBB\xBFpath,record_id,mailbox_dn,display_name,alias,sha256,outcome,"
                                       "legacy_state,state,codes,issues,verification\r\n"
                                     : "";
}

}  // namespace kms::core
