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
#include "private_folder.h"
#include "report_html.h"
#include "report_json.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

/// What a dead run left for the same report and must be kept: a complete
/// report that could not be put in place (finish() made it read-only), in its
/// private folder or, from an earlier version, as a ".partial" file.
bool is_kept_report(const fs::path& entry) {
  struct stat st {};
  if (::lstat(entry.c_str(), &st) != 0) return false;
  if (S_ISREG(st.st_mode)) return (st.st_mode & S_IWUSR) == 0;
  for (const auto& name : names_starting(entry, "")) {
    if (::lstat((entry / name).c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IWUSR) == 0) return true;
  }
  return false;
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

ReportFile::ReportFile(fs::path path) : path_(std::move(path)), name_(path_.filename().string()) {
  remove_stale_private(path_, is_kept_report);
  folder_ = std::make_unique<PrivateFolder>(path_);
  partial_ = folder_->path() / name_;
  const int fd = ::openat(folder_->fd(), name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw SystemError("create the report", partial_.string(), errno);
  out_ = ::fdopen(fd, "wb");
  if (!out_) {
    const int err = errno;
    ::close(fd);
    (void)::unlinkat(folder_->fd(), name_.c_str(), 0);
    throw SystemError("create the report", partial_.string(), err);
  }
}

ReportFile::~ReportFile() {
  if (!out_) return;
  std::fclose(out_);
  (void)::unlinkat(folder_->fd(), name_.c_str(), 0);
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
  // From the private folder, through its descriptor: the name that is put in place cannot have been swapped.
  if (::renameat(folder_->fd(), name_.c_str(), AT_FDCWD, path_.c_str()) != 0) {
    const int err = errno;                                    // the complete report is left where it is, and said so;
    (void)::fchmodat(folder_->fd(), name_.c_str(), 0444, 0);  // read-only: a later run's clean-up keeps it
    folder_->keep();
    throw SystemError("put the report in place as",
                      path_.string() + "' (the complete report is in '" + partial_.string(), err);
  }
  folder_->remove();
  const int dir = ::open(fs::absolute(path_).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace kms::core
