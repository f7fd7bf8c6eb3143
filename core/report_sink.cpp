#include "report_sink.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

namespace kms::core {
namespace {

void list_line(std::vector<std::string>& lines, std::size_t& more, std::string line) {
  if (lines.size() < TerminalLists::kLimit) {
    lines.push_back(std::move(line));
  } else {
    ++more;
  }
}

void add_to_lists(TerminalLists& l, const FileSummary& f, std::optional<Verification> v) {
  const auto is = [](Severity s) { return [s](const Issue& i) { return i.severity == s; }; };
  if (f.outcome != RecordOutcome::Rejected && std::any_of(f.issues.begin(), f.issues.end(), is(Severity::Warning))) {
    ++l.with_warnings;
  }
  if (f.outcome == RecordOutcome::Normalized) {
    for (const auto& i : f.issues) {
      if (i.code == "recovery-never-enrolled") {
        list_line(l.normalized, l.normalized_more, f.path + "  " + f.mailbox_dn + ": " + i.message);
      }
    }
  }
  if (f.outcome != RecordOutcome::Rejected && v != Verification::Failed) return;
  for (const auto& i : f.issues) {
    if (i.severity != Severity::Error) continue;
    const std::string where = i.line > 0 ? f.path + ":" + std::to_string(i.line) : f.path;
    list_line(l.problems, l.problems_more, where + ": " + i.code + ": " + i.message);
  }
}

}  // namespace

ReportSink::ReportSink(std::optional<boost::filesystem::path> file) : path_(std::move(file)) {
  if (!path_) return;
  format_ = report_format_for(*path_).value_or(ReportFormat::JsonLines);
  partial_ = path_->string() + ".partial";
  out_ = std::fopen(partial_.c_str(), "wb");
  if (!out_) throw std::runtime_error("cannot create the report '" + partial_.string() + "': " + std::strerror(errno));
  write(report_head(format_));
}

ReportSink::~ReportSink() {
  if (!out_) return;
  std::fclose(out_);
  boost::system::error_code ec;
  boost::filesystem::remove(partial_, ec);
}

void ReportSink::write(const std::string& text) {
  if (out_ && std::fwrite(text.data(), 1, text.size(), out_) != text.size()) {
    throw std::runtime_error("cannot write the report '" + partial_.string() + "': " + std::strerror(errno));
  }
}

void ReportSink::add(const FileSummary& f, std::optional<Verification> v) {
  v = effective_verification(f, v);
  count_file(totals_, f.outcome, v);
  add_to_lists(lists_, f, v);
  if (out_) write(format_ == ReportFormat::Csv ? csv_record(f, v) : jsonl_record(f, v));
}

void ReportSink::fill(RunReport& r) const {
  r.totals = totals_;
  r.lists = lists_;
}

void ReportSink::finish(const RunReport& r) {
  if (!out_) return;
  write(report_tail(format_, r));
  const bool ok = std::fflush(out_) == 0 && ::fsync(::fileno(out_)) == 0;
  const int err = errno;
  std::fclose(out_);
  out_ = nullptr;
  if (!ok) throw std::runtime_error("cannot write the report '" + partial_.string() + "': " + std::strerror(err));
  boost::filesystem::rename(partial_, *path_);
}

}  // namespace kms::core
