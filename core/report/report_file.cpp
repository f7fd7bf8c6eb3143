#include "report_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "failure.h"
#include "folder_entries.h"
#include "report_html.h"
#include "report_json.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

/// Temporary reports of earlier runs for the same report that were killed
/// (".NAME.kms-migrate-PID[-N].partial" whose process is gone, writable by
/// its owner): removed.
void remove_stale_partials(const fs::path& folder, const std::string& stem) {
  for (const auto& name : names_starting(folder, stem)) {
    if (name.size() < 8 || name.compare(name.size() - 8, 8, ".partial") != 0) continue;
    const fs::path path = folder / name;
    const std::string pid_text = name.substr(stem.size(), name.find_first_of("-.", stem.size()) - stem.size());
    const auto pid = parse_decimal(pid_text);
    if (!pid || *pid <= 0 || *pid > (1LL << 30)) continue;
    if (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno == EPERM) continue;  // its run lives
    struct stat st {};
    // Read-only: a complete report that could not be put in place (finish()), kept.
    if (::lstat(path.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & S_IWUSR)) ::unlink(path.c_str());
  }
}

/// JSON Lines and CSV: a line per file as it comes.
class LineReport final : public ReportFile {
 public:
  LineReport(fs::path path, ReportFormat format) : ReportFile(std::move(path)), format_(format) {
    write(report_head(format_));
  }
  void add(const FileSummary& f, std::optional<Verification> v) override {
    write(format_ == ReportFormat::Csv ? csv_record(f, v) : jsonl_record(f, v));
  }

 private:
  void write_ending(const RunReport& r) override { write(report_tail(format_, r)); }
  ReportFormat format_;
};

/// The sign-off report: the lists kept aside, the page written at the end.
class HtmlReport final : public ReportFile {
 public:
  explicit HtmlReport(fs::path path) : ReportFile(std::move(path)) {}
  void add(const FileSummary& f, std::optional<Verification> v) override { page_.add(f, v); }

 private:
  void write_ending(const RunReport& r) override {
    page_.write(r, [this](std::string_view text) { write(text); });
  }
  HtmlPage page_;
};

}  // namespace

std::unique_ptr<ReportFile> ReportFile::create(const fs::path& path) {
  const ReportFormat format = report_format_for(path).value_or(ReportFormat::JsonLines);
  if (format == ReportFormat::Html) return std::unique_ptr<ReportFile>(new HtmlReport(path));
  return std::unique_ptr<ReportFile>(new LineReport(path, format));
}

ReportFile::ReportFile(fs::path path) : path_(std::move(path)) {
  const fs::path folder = fs::absolute(path_).parent_path();
  const std::string prefix = "." + path_.filename().string() + ".kms-migrate-";
  remove_stale_partials(folder, prefix);
  const std::string stem = prefix + std::to_string(::getpid());
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    partial_ = folder / (stem + (attempt ? "-" + std::to_string(attempt) : "") + ".partial");
    fd = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) throw SystemError("create the report", partial_.string(), errno);
  out_ = ::fdopen(fd, "wb");
  if (!out_) {
    const int err = errno;
    ::close(fd);
    ::unlink(partial_.c_str());
    throw SystemError("create the report", partial_.string(), err);
  }
}

ReportFile::~ReportFile() {
  if (!out_) return;
  std::fclose(out_);
  std::error_code ec;
  fs::remove(partial_, ec);
}

void ReportFile::fail(const char* what) {
  if (failed_errno_ == 0) failed_errno_ = errno != 0 ? errno : EIO;
  throw SystemError(std::string(what) + " the report", partial_.string(), failed_errno_);
}

void ReportFile::write(std::string_view text) {
  if (out_ && std::fwrite(text.data(), 1, text.size(), out_) != text.size()) fail("write");
}

void ReportFile::write_ending_and_sync(const RunReport& r) {
  write_ending(r);
  if (std::fflush(out_) != 0 || ::fsync(::fileno(out_)) != 0) fail("write");
}

std::string ReportFile::obstacle() const {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return {};
  return "'" + path_.string() + "' is now " +
         (S_ISDIR(st.st_mode)   ? "a folder"
          : S_ISLNK(st.st_mode) ? "a link"
                                : "not a regular file") +
         ", and the report cannot be put there";
}

void ReportFile::prepare(const RunReport& r) {
  if (!out_) return;
  if (std::fflush(out_) != 0) fail("write");
  ending_offset_ = std::ftell(out_);
  prepared_ = report_tail(ReportFormat::JsonLines, r);  // the summary: what the ending is made from
  write_ending_and_sync(r);
}

void ReportFile::finish(const RunReport& r) {
  if (!out_) return;
  // A write that failed once (stdio keeps the error) leaves a report with a hole:
  // it is never put in place, even if later writes found room again.
  if (failed_errno_ != 0 || std::ferror(out_)) fail("write");
  if (ending_offset_ < 0) {
    write_ending_and_sync(r);
  } else if (report_tail(ReportFormat::JsonLines, r) != prepared_) {  // the run ended otherwise than prepared
    if (std::fflush(out_) != 0 || ::ftruncate(::fileno(out_), ending_offset_) != 0 ||
        std::fseek(out_, ending_offset_, SEEK_SET) != 0) {
      fail("write");
    }
    write_ending_and_sync(r);
  }
  const bool closed = std::fclose(out_) == 0;
  out_ = nullptr;
  if (!closed) fail("write");
  if (::rename(partial_.c_str(), path_.c_str()) != 0) {
    const int err = errno;            // the complete report is left where it is, and said so;
    ::chmod(partial_.c_str(), 0444);  // read-only: a later run's clean-up keeps it
    throw SystemError("put the report in place as",
                      path_.string() + "' (the complete report is in '" + partial_.string(), err);
  }
  const int dir = ::open(fs::absolute(path_).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace kms::core
