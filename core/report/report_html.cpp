#include "report_html.h"

#include <algorithm>
#include <stdexcept>

#include "failure.h"
#include "report_html_page_one.h"
#include "safe_text.h"
#include "text_util.h"

namespace kms::core {
namespace {

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 "DejaVu Sans", Arial, sans-serif; color: #1b1b1b; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 22px 0 6px; border-bottom: 1px solid #ccc; }
.verdict { font-size: 16px; padding: 10px 14px; border-radius: 4px; margin: 12px 0; }
.ok { background: #e6f4ea; border-left: 6px solid #1e7e34; } .bad { background: #fdecea; border-left: 6px solid #b3261e; }
.warn { background: #fff4e5; border-left: 6px solid #b26a00; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: 3px 8px; border-bottom: 1px solid #e3e3e3; }
th { background: #f3f3f3; } table.facts th { width: 130px; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-all; }
td.file, td.nowrap { white-space: nowrap; word-break: normal; } table.counts th { text-align: right; }
tr.sev-error td:first-child { border-left: 4px solid #b3261e; } tr.sev-warning td:first-child { border-left: 4px solid #b26a00; }
table.signature td { height: 34px; } table.signature th { width: 110px; }
.none { color: #666; font-style: italic; } .small { font-size: 12px; color: #444; } footer { margin-top: 32px; color: #555; font-size: 12px; }
.appendix { page-break-before: always; } p.reason { margin: 4px 0 8px; }
table.list { table-layout: fixed; } table.list td { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
@media print { @page { size: A4; margin: 10mm 11mm; } body { margin: 0; max-width: none; font-size: 9pt; line-height: 1.25; }
  h1 { font-size: 15pt; } h2 { font-size: 11pt; margin: 8px 0 3px; } .verdict { font-size: 11pt; padding: 6px 10px; margin: 6px 0; border: 1px solid #999; }
  th, td { padding: 1px 5px; } code, .mono { font-size: 8pt; } table.signature td { height: 26px; }
  thead { display: table-header-group; } tr { page-break-inside: avoid; } h2 { page-break-after: avoid; }
  table.list { font-size: 8pt; } #counts svg { width: 440px; height: 72px; } }
)css";

std::string cell(std::string_view text, const char* cls = nullptr) {
  return std::string("<td") + (cls ? std::string(" class=\"") + cls + "\"" : "") + ">" + html_text(text) + "</td>";
}

/// "bad-value, unknown-key": a file's codes of `severity` (each once), in the order found.
std::string codes_of(const FileSummary& f, Severity severity, std::optional<IssueId> leave_out = std::nullopt) {
  return distinct_codes_text(f.issues, severity, leave_out);
}

/// A file's first error, "line 3: message", and how many more there are.
std::string first_error(const FileSummary& f) {
  const Issue* first = nullptr;
  std::size_t errors = 0;
  for (const Issue& i : f.issues) {
    if (i.severity != Severity::Error) continue;
    if (!first) first = &i;
    ++errors;
  }
  if (!first) return "";
  return (first->line > 0 ? "line " + std::to_string(first->line) + ": " : std::string()) + first->message +
         (errors > 1 ? " (+" + std::to_string(errors - 1) + " more in the JSON Lines report)" : "");
}

}  // namespace

HtmlPage::HtmlPage() {
  for (List* l : {&differences_, &rejected_, &normalized_, &warnings_, &skipped_})
    l->rows = std::make_unique<TempSpool>();
}

void HtmlPage::append(List& list, const std::string& rows) {
  if (rows.empty()) return;
  list.rows->append(rows.data(), rows.size());
  ++list.count;
}

// One row a file in every list: its reasons are stated once, in the list's
// heading or in the findings by code on page one.
void HtmlPage::add(const FileSummary& f, std::optional<Verification> v) {
  const std::string& dn = f.mailbox_dn.text;
  for (const std::string& code : distinct_codes(f.issues)) ++files_by_code_[code];
  const std::string file = "<tr>" + cell(f.path, "mono file") + cell(dn);
  if (v == Verification::Failed) {
    append(differences_, file + cell(codes_of(f, Severity::Error), "mono") + cell(first_error(f)) + "</tr>\n");
  } else if (f.outcome == RecordOutcome::Rejected) {
    append(rejected_, file + cell(codes_of(f, Severity::Error), "mono") + cell(first_error(f)) + "</tr>\n");
  }
  if (f.outcome == RecordOutcome::Skipped) {
    for (const Issue& i : f.issues) {
      if (is(i, IssueId::NotARecord))
        append(skipped_, "<tr>" + cell(f.path, "mono file") + cell(i.message) + "</tr>\n");
    }
  }
  if (f.outcome != RecordOutcome::Normalized && f.outcome != RecordOutcome::Migrated) return;
  if (f.outcome == RecordOutcome::Normalized) {
    for (const Issue& i : f.issues) {
      if (is(i, IssueId::RecoveryNeverEnrolled)) {
        append(normalized_, file + cell(i.line > 0 ? std::to_string(i.line) : "", "num") + "</tr>\n");
        break;
      }
    }
  }
  const std::string warnings = codes_of(f, Severity::Warning, IssueId::RecoveryNeverEnrolled);
  if (!warnings.empty()) append(warnings_, file + cell(warnings, "mono") + "</tr>\n");
}

void HtmlPage::copy(const List& list, const Out& out, std::size_t rows) const {
  char buf[64 * 1024];
  const std::uint64_t size = list.rows->size();
  std::size_t copied = 0;
  for (std::uint64_t at = 0; at < size && copied < rows;) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, size - at));
    if (!list.rows->read_at(at, buf, n)) throw InternalError("a temporary file of the HTML report is short");
    for (std::size_t i = 0; i < n; ++i) {  // a row is one line: stop after the last one wanted
      if (buf[i] == '\n' && ++copied == rows) {
        n = i + 1;
        break;
      }
    }
    out(std::string_view(buf, n));
    at += n;
  }
}

namespace {

/// verify: what differs in the database beyond its files' rows.
std::string table_differences_html(const RunReport& r) {
  std::string out =
      "<section id=\"table-differences\"><h2>Differences in the database's tables (<span "
      "id=\"table-differences-count\">" +
      grouped(r.table_difference_count) + "</span>)</h2>";
  if (r.table_differences.empty()) {
    return out + "<p class=\"none\">None: every row of every table is accounted for by the store.</p></section>\n";
  }
  out += "<ul>";
  for (const auto& d : r.table_differences) out += "<li>" + html_text(d) + "</li>";
  return out + "</ul></section>\n";
}

std::string manifest_html(const ManifestResult& m) {
  std::string out = "<section id=\"manifest\"><h2>Differences from the manifest (<span id=\"manifest-count\">" +
                    grouped(m.differences()) +
                    "</span>)</h2><table><thead><tr><th>file: what differs</th></tr></thead>\n";
  for (const auto& d : m.named) out += "<tr>" + cell(d, "mono") + "</tr>\n";
  if (m.named_more) out += "<tr>" + cell("... and " + grouped(m.named_more) + " more") + "</tr>\n";
  return out + "</table></section>\n";
}

constexpr const char* kIssueHead = "<th>file</th><th>mailbox</th><th>codes</th><th>first reason</th>";
constexpr const char* kIssueWidths = "<col style=\"width:20%\"><col style=\"width:28%\"><col style=\"width:19%\"><col>";

}  // namespace

void HtmlPage::write_list(const Out& out, bool& first, const ListSpec& spec, const List& list, std::size_t cap) const {
  out(std::string("<section id=\"") + spec.id + "\"" + (first ? " class=\"appendix\"" : "") + "><h2>" + spec.title +
      " (<span id=\"" + spec.id + "-count\">" + grouped(list.count) + "</span>)</h2>");
  first = false;
  if (!spec.reason.empty()) out("<p class=\"reason\">" + html_text(spec.reason) + "</p>");
  if (list.count == 0) {
    out(std::string("<p class=\"none\">") + spec.none + "</p></section>\n");
    return;
  }
  out(std::string("<table class=\"list\"><colgroup>") + spec.widths + "</colgroup><thead><tr>" + spec.head +
      "</tr></thead>\n");
  copy(list, out, cap);
  if (list.count > cap) {
    out("<tr><td colspan=\"4\" id=\"" + std::string(spec.id) + "-more\">... and " + grouped(list.count - cap) +
        " more: the JSON Lines and CSV reports list every one</td></tr>\n");
  }
  out("</table></section>\n");
}

// The appendices: the lists, one row a file, each table's head on every printed page.
void HtmlPage::write_appendices(const RunReport& r, const Out& out) const {
  bool first = true;
  const std::size_t cap = r.wrong_store ? kWrongStoreRows : SIZE_MAX;
  if (r.command == Command::Verify || differences_.count) {
    write_list(out, first,
               {"differences", "Appendix: differences between the database and the store", "", kIssueHead, kIssueWidths,
                "None: every record read back is the record of its file."},
               differences_, cap);
  }
  if (r.command == Command::Verify) out(table_differences_html(r));
  const std::string rejected_reason = std::string(r.accepted_rejects() ? "Accepted with --allow-rejected: not "
                                                                         "migrated; w"
                                                                       : "W") +
                                      "hat each code means and what to do is on page one.";
  write_list(out, first,
             {"rejected",
              r.command == Command::Verify ? "Appendix: rejected files (as the upgrade rejected them)"
                                           : "Appendix: rejected files",
              rejected_reason, kIssueHead, kIssueWidths, "None."},
             rejected_, cap);
  write_list(
      out, first,
      {"normalized", "Appendix: KB Q198709 normalizations",
       "Each file below was in State 4 (Recovery) without NumSCerts: the user never enrolled, and the record "
       "is now New. Recover each mailbox in the KM administrator program and give the user the new token.",
       "<th>file</th><th>mailbox</th><th>line</th>", "<col style=\"width:20%\"><col><col style=\"width:8%\">", "None."},
      normalized_, cap);
  write_list(
      out, first,
      {"warnings", "Appendix: migrated files with warnings", "Migrated as read; what each code means is on page one.",
       "<th>file</th><th>mailbox</th><th>warnings</th>", "<col style=\"width:20%\"><col style=\"width:45%\"><col>",
       "None."},
      warnings_, cap);
  if (r.manifest && r.manifest->differences()) out(manifest_html(*r.manifest));
  if (files_by_code_.size() > kPageOneCodes) out(html_codes(files_by_code_, 0, "all-codes") + "\n");
  write_list(out, first,
             {"skipped", "Appendix: skipped entries (not record files: never read)", "", "<th>entry</th><th>why</th>",
              "<col style=\"width:30%\"><col>", "None."},
             skipped_, cap);
}

void HtmlPage::write(const RunReport& r, const Out& out) const {
  const auto [tone, sentence] = html_verdict(r);
  out("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n<title>" +
      html_text(std::string("kms-migrate ") + command_name(r.command) + ": " + status_name(r.status)) +
      "</title>\n<style>" + kStyle + "</style></head>\n<body>\n<header><h1>kms-migrate " +
      html_text(command_name(r.command)) + ": sign-off report</h1>" + "<p class=\"verdict " + tone +
      "\" id=\"verdict\">" + html_text(sentence) + "</p></header>\n");
  // Page one: the sign-off.
  // A run that stopped before it reported every file it counted says so
  // above its lists: "None" below them means none among those listed.
  const std::string partial =
      r.lists_are_partial()
          ? "<p class=\"verdict warn\" id=\"lists-partial\">The lists name " + grouped(*r.files_listed) + " of the " +
                grouped(r.totals.files_seen) +
                " files counted above: the run stopped before it had reported every file. The counts are of what it "
                "read.</p>\n"
          : std::string();
  out(html_facts(r) + "\n" + html_counts(r) + "\n" + partial + html_codes(files_by_code_, kPageOneCodes, "codes") +
      "\n" + html_next_steps(r) + "\n" + html_signature(r) + "\n");
  write_appendices(r, out);
  out("<footer>Written by kms-migrate " + html_text(r.tool_version) + " on " + html_text(r.host) + " at " +
      html_text(r.finished_at) +
      " UTC. Every file of the store, with every issue, is in the JSON Lines or CSV report and in the database's "
      "migration_report table.</footer>\n</body></html>\n");
}

}  // namespace kms::core
