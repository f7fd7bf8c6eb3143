#include "report_html.h"

#include <algorithm>
#include <stdexcept>

#include "failure.h"
#include "safe_text.h"

namespace kms::core {
namespace {

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 "DejaVu Sans", Arial, sans-serif; color: #1b1b1b; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; }
.verdict { font-size: 16px; padding: 10px 14px; border-radius: 4px; margin: 12px 0; }
.ok { background: #e6f4ea; border-left: 6px solid #1e7e34; } .bad { background: #fdecea; border-left: 6px solid #b3261e; }
.warn { background: #fff4e5; border-left: 6px solid #b26a00; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #e3e3e3; }
th { background: #f3f3f3; } table.facts th { width: 190px; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-all; }
td.file, td.nowrap { white-space: nowrap; word-break: normal; } table.counts th { text-align: right; }
.none { color: #666; font-style: italic; } footer { margin-top: 32px; color: #555; font-size: 12px; }
@media print { @page { size: A4; margin: 14mm; } body { margin: 0; max-width: none; font-size: 10.5pt; }
  tr { page-break-inside: avoid; } h2 { page-break-after: avoid; } .verdict { border: 1px solid #999; } }
)css";

std::string num(std::size_t n) { return std::to_string(n); }

std::string cell(std::string_view text, const char* cls = nullptr) {
  return std::string("<td") + (cls ? std::string(" class=\"") + cls + "\"" : "") + ">" + html_text(text) + "</td>";
}

std::string line_of(const Issue& i) { return i.line > 0 ? std::to_string(i.line) : ""; }

/// The verdict at the top: one sentence, green, amber or red.
std::pair<const char*, std::string> verdict(const RunReport& r) {
  const Counts& c = r.totals;
  const std::size_t written = c.migrated + c.normalized;
  if (r.status == RunStatus::Cancelled) return {"bad", "Cancelled: " + r.message};
  if (r.command == "verify") {
    if (r.status == RunStatus::Succeeded) {
      return {"ok", "The database matches the store: all " + num(c.verified_passed) + " migrated records verified."};
    }
    return {"bad", "The database does not match the store: " + r.message};
  }
  // The decision the sign-off owns: rejected files accepted are never plain green.
  const std::size_t accepted = r.accepted_rejects();
  const std::string decision =
      accepted ? "; " + grouped(accepted) + " rejected file(s) accepted with --allow-rejected (not migrated)" : "";
  if (r.command == "rehearse") {
    if (r.status == RunStatus::Succeeded) {
      return {accepted ? "warn" : "ok", "Rehearsal passed: the upgrade would commit " + grouped(written) +
                                            " records, verified" + decision + (accepted ? "." : "; not blocked.")};
    }
    return {r.blocked && written > 0 ? "warn" : "bad", "Rehearsal: " + r.message};
  }
  if (r.status == RunStatus::Succeeded) {
    return {accepted ? "warn" : "ok", "Committed " + grouped(written) + " records to the 5.5 database, verified (" +
                                          grouped(c.verified_passed) + " passed, " + grouped(c.verified_failed) +
                                          " failed)" + decision + "."};
  }
  return {"bad", "Not committed: " + r.message};
}

std::string facts(const RunReport& r) {
  std::string out = "<section id=\"facts\"><h2>The run</h2><table class=\"facts\">";
  const auto row = [&](const char* name, const std::string& value, const char* id, bool mono = false) {
    out += std::string("<tr><th>") + name + "</th><td id=\"" + id + "\"" + (mono ? " class=\"mono\"" : "") + ">" +
           (value.empty() ? "<span class=\"none\">none</span>" : html_text(value)) + "</td></tr>";
  };
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f s", r.elapsed_seconds);
  row("Command", r.command_shown(), "fact-command", true);
  if (r.command != "verify") {
    row("Rejected files",
        r.allow_rejected ? "accepted (--allow-rejected): " + grouped(r.accepted_rejects()) +
                               " file(s) not migrated (the bytes of those read kept in legacy_files)"
                         : "refused: any rejected file blocks the upgrade",
        "fact-allow-rejected");
  }
  row("Status", status_name(r.status), "fact-status");
  row("Tool version", r.tool_version, "fact-tool-version");
  row("Host", r.host, "fact-host");
  row("Operator", r.operator_name, "fact-operator");
  row("Source", r.source, "fact-source", true);
  row("Target", r.target.value_or(""), "fact-target", true);
  row("Started (UTC)", r.started_at, "fact-started");
  row("Finished (UTC)", r.finished_at, "fact-finished");
  row("Duration", seconds, "fact-duration");
  row("Content digest", r.content_digest.value_or(""), "fact-digest", true);
  row("Store digest", r.store_digest.value_or(""), "fact-store-digest", true);
  row("Record size limit", r.max_record_size > 0 ? std::to_string(r.max_record_size) + " bytes" : "", "fact-limit");
  if (r.manifest) {
    row("Manifest",
        r.manifest->path + " (sha256 " + r.manifest->file_sha256 + ", " + r.manifest->format + ", " +
            grouped(r.manifest->listed) + " files listed)",
        "fact-manifest", true);
    row("The copy", r.manifest->verdict(), "fact-manifest-result");
  }
  if (!r.message.empty()) row("Message", r.message, "fact-message");
  return out + "</table></section>";
}

/// The counts by outcome, as a bar chart in inline SVG and as a table.
std::string counts(const RunReport& r) {
  const Counts& c = r.totals;
  struct Bar {
    const char* name;
    std::size_t n;
    const char* colour;
  };
  const Bar bars[] = {{"migrated", c.migrated, "#1e7e34"},
                      {"normalized", c.normalized, "#1565c0"},
                      {"rejected", c.rejected, "#b3261e"},
                      {"skipped", c.skipped, "#757575"}};
  std::size_t most = 1;
  for (const auto& b : bars) most = std::max(most, b.n);
  std::string svg =
      "<svg role=\"img\" aria-label=\"files by outcome\" "
      "width=\"640\" height=\"150\" viewBox=\"0 0 640 150\">";
  int y = 8;
  for (const auto& b : bars) {
    const int width =
        b.n ? std::max(2, static_cast<int>(440.0 * static_cast<double>(b.n) / static_cast<double>(most))) : 0;
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 19) + "\" font-size=\"14\" font-family=\"sans-serif\">" + b.name +
           "</text><rect x=\"100\" y=\"" + std::to_string(y + 4) + "\" width=\"" + std::to_string(width) +
           "\" height=\"22\" fill=\"" + b.colour + "\"/><text x=\"" + std::to_string(108 + width) + "\" y=\"" +
           std::to_string(y + 20) + "\" font-size=\"14\" font-family=\"sans-serif\">" + num(b.n) + "</text>";
    y += 34;
  }
  svg += "</svg>";
  std::string table = "<table class=\"counts\"><tr><th>files seen</th>";
  for (const auto& b : bars) table += std::string("<th>") + b.name + "</th>";
  table += "<th>verified: passed</th><th>verified: failed</th></tr><tr><td class=\"num\" id=\"count-files_seen\">" +
           num(c.files_seen) + "</td>";
  for (const auto& b : bars)
    table += std::string("<td class=\"num\" id=\"count-") + b.name + "\">" + num(b.n) + "</td>";
  table += "<td class=\"num\" id=\"count-verified_passed\">" + num(c.verified_passed) +
           "</td><td class=\"num\" id=\"count-verified_failed\">" + num(c.verified_failed) + "</td></tr></table>";
  return "<section id=\"counts\"><h2>Files by outcome</h2>" + svg + table + "</section>";
}

}  // namespace

std::string html_text(std::string_view text) {
  const std::string inert = terminal_text(text);
  std::string out;
  out.reserve(inert.size());
  for (char ch : inert) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(ch);
    }
  }
  return out;
}

HtmlPage::HtmlPage() {
  for (List* l : {&differences_, &rejected_, &normalized_, &skipped_}) l->rows = std::make_unique<TempSpool>();
}

void HtmlPage::append(List& list, const std::string& rows) {
  if (rows.empty()) return;
  list.rows->append(rows.data(), rows.size());
  ++list.count;  // files, not rows: a file with two reasons is one reject
}

void HtmlPage::add(const FileSummary& f, std::optional<Verification> v) {
  const std::string& dn = f.mailbox_dn.text;
  std::string errors;
  for (const Issue& i : f.issues) {
    if (i.severity != Severity::Error) continue;
    errors += "<tr>" + cell(f.path, "mono file") + cell(dn) + cell(line_of(i), "num") + cell(i.code, "mono nowrap") +
              cell(i.message) + "</tr>\n";
  }
  if (v == Verification::Failed) {
    append(differences_, errors);
  } else if (f.outcome == RecordOutcome::Rejected) {
    append(rejected_, errors);
  }
  if (f.outcome == RecordOutcome::Skipped) {
    for (const Issue& i : f.issues) {
      if (i.code == "not-a-record") append(skipped_, "<tr>" + cell(f.path, "mono file") + cell(i.message) + "</tr>\n");
    }
  }
  if (f.outcome != RecordOutcome::Normalized) return;
  std::string rows;
  for (const Issue& i : f.issues) {
    if (i.code != "recovery-never-enrolled") continue;
    rows += "<tr>" + cell(f.path, "mono file") + cell(dn) + cell("4 (Recovery)", "nowrap") + cell("new") +
            cell(line_of(i), "num") + cell(i.message) + "</tr>\n";
  }
  append(normalized_, rows);
}

void HtmlPage::copy(const List& list, const std::function<void(std::string_view)>& out) const {
  char buf[64 * 1024];
  const std::uint64_t size = list.rows->size();
  for (std::uint64_t at = 0; at < size;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, size - at));
    if (!list.rows->read_at(at, buf, n)) throw InternalError("a temporary file of the HTML report is short");
    out(std::string_view(buf, n));
    at += n;
  }
}

void HtmlPage::write(const RunReport& r, const std::function<void(std::string_view)>& out) const {
  const auto [tone, sentence] = verdict(r);
  out("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n<title>" +
      html_text("kms-migrate " + r.command + ": " + status_name(r.status)) + "</title>\n<style>" + kStyle +
      "</style></head>\n<body>\n<header><h1>kms-migrate " + html_text(r.command) + ": sign-off report</h1>" +
      "<p class=\"verdict " + tone + "\" id=\"verdict\">" + html_text(sentence) + "</p></header>\n");
  out(facts(r) + "\n" + counts(r) + "\n");
  const auto section = [&](const char* id, const std::string& title, const char* head, const List& list,
                           const char* none) {
    out(std::string("<section id=\"") + id + "\"><h2>" + title + " (<span id=\"" + id + "-count\">" + num(list.count) +
        "</span>)</h2>");
    if (list.count == 0) {
      out(std::string("<p class=\"none\">") + none + "</p></section>\n");
      return;
    }
    out(std::string("<table><tr>") + head + "</tr>\n");
    copy(list, out);
    out("</table></section>\n");
  };
  const char* issue_head = "<th>file</th><th>mailbox</th><th>line</th><th>code</th><th>reason</th>";
  if (r.command == "verify" || differences_.count) {
    section("differences", "Differences between the database and the store", issue_head, differences_,
            "None: every record read back is the record of its file.");
  }
  if (r.command == "verify") {
    out(std::string("<section id=\"table-differences\"><h2>Differences in the database's tables (<span "
                    "id=\"table-differences-count\">") +
        grouped(r.table_difference_count) + "</span>)</h2>");
    if (r.table_differences.empty()) {
      out("<p class=\"none\">None: every row of every table is accounted for by the store.</p></section>\n");
    } else {
      out("<ul>");
      for (const auto& d : r.table_differences) out("<li>" + html_text(d) + "</li>");
      out("</ul></section>\n");
    }
  }
  section("rejected", r.command == "verify" ? "Rejected files (as the upgrade rejected them)" : "Rejected files",
          issue_head, rejected_, "None.");
  section("normalized", "KB Q198709 normalizations (State 4 Recovery, never enrolled, set to New)",
          "<th>file</th><th>mailbox</th><th>before</th><th>after</th><th>line</th><th>why</th>", normalized_, "None.");
  if (r.manifest && r.manifest->differences()) {
    out("<section id=\"manifest\"><h2>Differences from the manifest (<span id=\"manifest-count\">" +
        num(r.manifest->differences()) + "</span>)</h2><table><tr><th>file: what differs</th></tr>\n");
    for (const auto& d : r.manifest->named) out("<tr>" + cell(d, "mono") + "</tr>\n");
    if (r.manifest->named_more) out("<tr>" + cell("... and " + num(r.manifest->named_more) + " more") + "</tr>\n");
    out("</table></section>\n");
  }
  section("skipped", "Skipped entries (not record files: never read)", "<th>entry</th><th>why</th>", skipped_, "None.");
  out("<footer>Written by kms-migrate " + html_text(r.tool_version) + " on " + html_text(r.host) + " at " +
      html_text(r.finished_at) +
      " UTC. Every file of the store, with every issue, is in the JSON Lines or CSV report and in the database's "
      "migration_report table.</footer>\n</body></html>\n");
}

}  // namespace kms::core
