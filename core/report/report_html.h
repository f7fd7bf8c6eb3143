// The sign-off report (docs/reports.md): one self-contained HTML page (no
// script, no font, no style or image fetched from anywhere) with the run's
// facts, the counts and their chart in inline SVG, the verdict, and every
// difference, reject and KB Q198709 normalization; readable on screen and on A4.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "report.h"
#include "temp_spool.h"

namespace kms::core {

/// Text from the store or the run, inert in HTML: controls made visible as in
/// the terminal (safe_text.h), then & < > " ' escaped.
std::string html_text(std::string_view text);

class HtmlPage {
 public:
  HtmlPage();
  HtmlPage(const HtmlPage&) = delete;
  HtmlPage& operator=(const HtmlPage&) = delete;

  /// The next file: its rows go to the lists it belongs to, kept in anonymous
  /// temporary files (memory does not grow with the store).
  void add(const FileSummary& f, std::optional<Verification> v);
  /// The whole page for the run `r`, in pieces, to `out`.
  void write(const RunReport& r, const std::function<void(std::string_view)>& out) const;

 private:
  /// One list of the page: its rows as HTML, and how many files they are of.
  struct List {
    std::unique_ptr<TempSpool> rows;  // in $TMPDIR, owner-only, unnamed
    std::size_t count = 0;
  };
  /// A file's rows into `list` (nothing for none).
  void append(List& list, const std::string& rows);
  void copy(const List& list, const std::function<void(std::string_view)>& out) const;

  List differences_, rejected_, normalized_, skipped_;
};

}  // namespace kms::core
