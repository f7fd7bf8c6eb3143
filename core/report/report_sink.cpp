#include "report_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "report_json.h"
#include "text_util.h"

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
    const std::string line = where + ": " + i.code + ": " + i.message;
    if (v == Verification::Failed) {
      l.failures.push_back(line);  // a difference is never hidden behind "... and 1 more"
    } else {
      list_line(l.problems, l.problems_more, line);
    }
  }
}

/// Temporary reports of earlier runs for the same report that were killed
/// (".NAME.kms-migrate-PID[-N].partial" whose process is gone): removed.
void remove_stale_partials(const std::filesystem::path& folder, const std::string& stem) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, stem.size(), stem) != 0 || name.size() < 8 || name.compare(name.size() - 8, 8, ".partial") != 0)
      continue;
    const std::string pid_text = name.substr(stem.size(), name.find_first_of("-.", stem.size()) - stem.size());
    const auto pid = parse_decimal(pid_text);
    if (!pid || *pid <= 0 || *pid > (1LL << 30)) continue;
    if (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno == EPERM) continue;  // its run lives
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && st.st_uid == ::geteuid()) ::unlink(it->path().c_str());
  }
}

}  // namespace

ReportSink::ReportSink(std::optional<std::filesystem::path> file) : path_(std::move(file)) {
  if (!path_) return;
  format_ = report_format_for(*path_).value_or(ReportFormat::JsonLines);
  const std::filesystem::path folder = std::filesystem::absolute(*path_).parent_path();
  const std::string prefix = "." + path_->filename().string() + ".kms-migrate-";
  remove_stale_partials(folder, prefix);
  const std::string stem = prefix + std::to_string(::getpid());
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    partial_ = folder / (stem + (attempt ? "-" + std::to_string(attempt) : "") + ".partial");
    fd = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) throw std::runtime_error("cannot create the report '" + partial_.string() + "': " + std::strerror(errno));
  out_ = ::fdopen(fd, "wb");
  if (!out_) {
    ::close(fd);
    ::unlink(partial_.c_str());
    throw std::runtime_error("cannot create the report '" + partial_.string() + "': " + std::strerror(errno));
  }
  write(report_head(format_));
}

ReportSink::~ReportSink() {
  if (!out_) return;
  std::fclose(out_);
  std::error_code ec;
  std::filesystem::remove(partial_, ec);
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

void ReportSink::write_tail(const RunReport& r) {
  write(report_tail(format_, r));
  const bool ok = std::fflush(out_) == 0 && ::fsync(::fileno(out_)) == 0;
  if (!ok) throw std::runtime_error("cannot write the report '" + partial_.string() + "': " + std::strerror(errno));
}

void ReportSink::prepare(const RunReport& r) {
  if (!out_) return;
  if (std::fflush(out_) != 0)
    throw std::runtime_error("cannot write the report '" + partial_.string() + "': " + std::strerror(errno));
  tail_offset_ = std::ftell(out_);
  prepared_tail_ = report_tail(format_, r);
  write_tail(r);
}

void ReportSink::finish(const RunReport& r) {
  if (!out_) return;
  if (tail_offset_ < 0) {
    write_tail(r);
  } else if (report_tail(format_, r) != prepared_tail_) {  // the run ended otherwise than prepared
    if (std::fflush(out_) != 0 || ::ftruncate(::fileno(out_), tail_offset_) != 0 ||
        std::fseek(out_, tail_offset_, SEEK_SET) != 0) {
      throw std::runtime_error("cannot write the report '" + partial_.string() + "': " + std::strerror(errno));
    }
    write_tail(r);
  }
  const bool closed = std::fclose(out_) == 0;
  out_ = nullptr;
  if (!closed) throw std::runtime_error("cannot write the report '" + partial_.string() + "': " + std::strerror(errno));
  if (::rename(partial_.c_str(), path_->c_str()) != 0) {
    const int err = errno;  // the complete report is left where it is, and said so
    throw std::runtime_error("cannot put the report in place as '" + path_->string() + "': " + std::strerror(err) +
                             "; the complete report is in '" + partial_.string() + "'");
  }
  const int dir = ::open(std::filesystem::absolute(*path_).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace kms::core
