#include "verify_rows.h"

#include <algorithm>

#include "issue_json.h"
#include "record_rules.h"

namespace kms::core::detail {
namespace {

std::optional<std::string> non_empty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

constexpr const char* kReportColumns =
    "SELECT path, record_id, mailbox_dn, sha256, outcome, state, legacy_state, issues, verification, display_name, "
    "alias FROM migration_report";

}  // namespace

Archive::Archive(Db& db)
    : rows_(db, "SELECT path, record_id, size, sha256, raw, outcome FROM legacy_files ORDER BY path") {
  more_ = rows_.step();
}

Judged Archive::take_gone() {
  Judged j;
  j.gone = true;
  j.f.path = rows_.text(0);
  j.f.record_id = rows_.text(1);
  j.f.sha256 = rows_.text(3);
  j.f.outcome = outcome_from_name(rows_.text_view(5)).value_or(RecordOutcome::Rejected);
  add_issue(j.f.issues, IssueId::UnexpectedInTarget,
            "the database holds this file" + std::string(expects_client(j.f.outcome) ? " and its client" : "") +
                ", but the store no longer has it");
  more_ = rows_.step();
  return j;
}

void Archive::take(const AnalyzedFile& a, Judged& j) {
  const FileSummary& f = a.summary;
  j.in_archive = true;
  j.archived_outcome = rows_.text(5);
  j.source_changed = rows_.opt_text(3) != non_empty(f.sha256);
  if (rows_.opt_text(1) != non_empty(f.record_id)) j.archive_diffs.push_back("record_id");
  const std::optional<std::int64_t> size =
      rows_.is_null(2) ? std::nullopt : std::optional<std::int64_t>(rows_.integer(2));
  if (size != f.size) j.archive_diffs.push_back("size");
  // The archived bytes themselves, against the bytes of the file read now.
  const bool raw_null = rows_.is_null(4);
  if (raw_null != !a.raw.has_value()) {
    j.archive_diffs.push_back("raw");
  } else if (a.raw) {
    const auto raw = rows_.blob_view(4);
    if (raw.size() != a.raw->size() || !std::equal(raw.begin(), raw.end(), a.raw->begin()))
      j.archive_diffs.push_back("raw");
  }
  more_ = rows_.step();
}

ReportRows::ReportRows(Db& db, Differences& out)
    : rows_(db, (std::string(kReportColumns) + " ORDER BY path").c_str()),
      one_(db, (std::string(kReportColumns) + " WHERE path = ?1").c_str()),
      out_(out) {
  more_ = rows_.step();
}

std::vector<std::string> ReportRows::compare_again(const FileSummary& expected) {
  one_.reset();
  one_.bind(1, expected.path);
  if (!one_.step()) return {"row"};
  return differences(one_, expected);
}

void ReportRows::skip_to(std::string_view path) {
  while (more_ && rows_.text_view(0) < path) {
    stray();
    more_ = rows_.step();
  }
}

std::vector<std::string> ReportRows::compare(const FileSummary& expected) {
  skip_to(expected.path);
  if (!more_ || rows_.text_view(0) != expected.path) return {"row"};
  auto diffs = differences(rows_, expected);
  more_ = rows_.step();
  return diffs;
}

void ReportRows::pass(const std::string& path) {
  skip_to(path);
  if (more_ && rows_.text_view(0) == path) more_ = rows_.step();
}

void ReportRows::rest() {
  for (; more_; more_ = rows_.step()) stray();
}

std::vector<std::string> ReportRows::differences(const Stmt& row, const FileSummary& expected) {
  std::vector<std::string> diffs;
  // NULL where the text is empty or absent, as the upgrade writes it; compared without copies.
  const auto col = [&](int i, std::string_view want, bool null, const char* name) {
    if (row.is_null(i) != null || (!null && row.text_view(i) != want)) diffs.push_back(name);
  };
  col(1, expected.record_id, expected.record_id.empty(), "record_id");
  col(2, expected.mailbox_dn.text, expected.mailbox_dn.empty(), "mailbox_dn");
  col(3, expected.sha256, expected.sha256.empty(), "sha256");
  col(4, outcome_name(expected.outcome), false, "outcome");
  col(5, expected.state ? state_name(*expected.state) : "", !expected.state, "state");
  const std::optional<std::int64_t> legacy =
      row.is_null(6) ? std::nullopt : std::optional<std::int64_t>(row.integer(6));
  if (legacy != (expected.legacy_state ? std::optional<std::int64_t>(*expected.legacy_state) : std::nullopt)) {
    diffs.push_back("legacy_state");
  }
  col(7, issues_json_text(expected.issues), false, "issues");
  col(8, expects_client(expected.outcome) ? "passed" : "not-applicable", false, "verification");
  col(9, expected.display_name.text, expected.display_name.empty(), "display_name");
  col(10, expected.alias.text, expected.alias.empty(), "alias");
  return diffs;
}

void ReportRows::stray() {
  out_.add("migration_report",
           "migration_report has a row for '" + rows_.text(0) + "', a file neither the store nor legacy_files has");
}

}  // namespace kms::core::detail
