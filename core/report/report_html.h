// The sign-off report (docs/reports.md): one self-contained HTML page (no
// script, no font, no style or image fetched from anywhere). Page one is the
// sign-off (report_html_page_one.h); the appendices list every difference,
// reject, KB Q198709 normalization, file with warnings and skipped entry, one
// row a file; readable on screen and on A4.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "html_text.h"
#include "report.h"
#include "temp_spool.h"

namespace kms::core {

class HtmlPage {
 public:
  HtmlPage();
  HtmlPage(const HtmlPage&) = delete;
  HtmlPage& operator=(const HtmlPage&) = delete;

  /// The next file: its rows go to the lists it belongs to, kept in anonymous
  /// temporary files (memory does not grow with the store).
  void add(const FileSummary& f, std::optional<Verification> v);
  using Out = std::function<void(std::string_view)>;
  /// The whole page for the run `r`, in pieces, to `out`.
  void write(const RunReport& r, const Out& out) const;

 private:
  /// One list of the page: its rows as HTML, and how many files they are of.
  struct List {
    std::unique_ptr<TempSpool> rows;  // in $TMPDIR, owner-only, unnamed
    std::size_t count = 0;
  };
  /// A file's rows into `list` (nothing for none).
  void append(List& list, const std::string& rows);
  /// Its first `rows` rows (each one line) to `out`.
  void copy(const List& list, const Out& out, std::size_t rows) const;
  /// How an appendix shows a list.
  struct ListSpec {
    const char* id;
    const char* title;
    std::string reason;  ///< said once, above the rows
    const char* head;    ///< the table's <th> cells
    const char* widths;  ///< its <col> elements
    const char* none;    ///< what an empty list says
  };
  /// A list as an appendix: every row, or the first `cap` (then how many more).
  void write_list(const Out& out, bool& first, const ListSpec& spec, const List& list, std::size_t cap) const;
  /// Rows an appendix lists of a verify against another store: a sample (the
  /// JSON Lines and CSV reports hold them all; 361 printed pages helped no one).
  static constexpr std::size_t kWrongStoreRows = 100;
  void write_appendices(const RunReport& r, const Out& out) const;

  List differences_, rejected_, normalized_, warnings_, skipped_;
  std::map<std::string, std::size_t> files_by_code_;  ///< files per issue code (a few dozen codes at most)
};

}  // namespace kms::core
