#include "report_sink.h"

#include <algorithm>
#include <exception>

#include "report_file.h"

namespace kms::core {
namespace {

void list_line(std::vector<std::string>& lines, std::size_t& more, std::string line, std::size_t limit) {
  if (lines.size() < limit) {
    lines.push_back(std::move(line));
  } else {
    ++more;
  }
}

void add_to_lists(TerminalLists& l, const FileSummary& f, std::optional<Verification> v) {
  if (carries_warnings(f)) ++l.with_warnings;
  if (f.outcome == RecordOutcome::Skipped) {
    for (const auto& i : f.issues) {
      if (is(i, IssueId::NotARecord)) list_line(l.skipped, l.skipped_more, f.path + "  " + i.message, l.limit);
    }
  }
  if (f.outcome == RecordOutcome::Normalized) {
    for (const auto& i : f.issues) {
      if (is(i, IssueId::RecoveryNeverEnrolled)) {
        list_line(l.normalized, l.normalized_more, f.path + "  " + f.mailbox_dn.text, l.limit);
      }
    }
  }
  if (f.outcome != RecordOutcome::Rejected && v != Verification::Failed) return;
  for (const auto& i : f.issues) {
    // The errors, and the count of what the cap left out (kListedIssues: issue.h).
    if (i.severity != Severity::Error && !is(i, IssueId::IssuesNotListed)) continue;
    const std::string where = i.line > 0 ? f.path + ":" + std::to_string(i.line) : f.path;
    const std::string line = where + ": " + i.code + ": " + i.message;
    if (v == Verification::Failed) {
      // Bounded like every list (memory stays flat whatever a database holds), four times as long.
      list_line(l.failures, l.failures_more, line, std::max(l.limit, TerminalLists::kFailureLimit));
    } else {
      list_line(l.problems, l.problems_more, line, l.limit);
    }
  }
  if (f.outcome != RecordOutcome::Rejected) return;
  for (const std::string& code : distinct_codes(f.issues, Severity::Error)) ++l.rejects_by_code[code];
}

}  // namespace

ReportSink::ReportSink(std::vector<std::filesystem::path> files) {
  for (const auto& f : files) files_.push_back(ReportFile::create(f));
}

ReportSink::~ReportSink() = default;

void ReportSink::add(const FileSummary& f, std::optional<Verification> v) {
  v = effective_verification(f, v);
  count_file(totals_, f.outcome, v);
  add_to_lists(lists_, f, v);
  for (auto& file : files_) file->add(f, v);
}

void ReportSink::fill(RunReport& r) const {
  r.totals = totals_;
  r.lists = lists_;
}

void ReportSink::prepare(const RunReport& r) {
  RunReport ending = r;
  ending.files_listed = totals_.files_seen;
  for (auto& file : files_) file->prepare(ending);
}

void ReportSink::finish(const RunReport& r) {
  // A run that committed nothing and cannot put every report in place failed:
  // so say the reports that can be put in place (a committed upgrade stays succeeded).
  RunReport ending = r;
  ending.files_listed = totals_.files_seen;
  const bool committed = r.command == Command::Upgrade && r.status == RunStatus::Succeeded;
  for (const auto& file : files_) {
    const std::string why = file->obstacle();
    if (why.empty() || committed) continue;
    ending.status = RunStatus::Failed;
    ending.message = why;
    break;
  }
  std::exception_ptr first;
  for (auto& file : files_) {
    try {
      file->finish(ending);
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

std::vector<std::filesystem::path> ReportSink::paths() const {
  std::vector<std::filesystem::path> out;
  for (const auto& file : files_) out.push_back(file->path());
  return out;
}

}  // namespace kms::core
