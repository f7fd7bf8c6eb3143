#include "report_html_page_one.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "html_text.h"
#include "issue_codes.h"
#include "text_util.h"

namespace kms::core {
namespace {

std::string num(std::size_t n) { return grouped(n); }

/// The first `n` bytes of `s`, less a UTF-8 sequence that would be cut.
std::string cut_utf8(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

/// Whether the counts are of records written (a committed upgrade, or what a database holds).
bool written(const RunReport& r) {
  return r.command == Command::Verify || (r.command == Command::Upgrade && r.status == RunStatus::Succeeded);
}

/// verify's verdict: amber when the store has rejected files the upgrade
/// accepted, and in counts (the lists follow) when the two differ.
std::pair<const char*, std::string> verify_verdict(const RunReport& r) {
  const Counts c = r.store_side();
  if (r.status == RunStatus::Succeeded) {
    const std::string all =
        "The database matches the store: all " + num(c.verified_passed) + " migrated records verified";
    if (c.rejected == 0) return {"ok", all + "."};
    return {"warn", all + "; " + num(c.rejected) +
                        " rejected file(s) of the store were not migrated (accepted at the upgrade with "
                        "--allow-rejected; the bytes of those that could be read are in legacy_files)."};
  }
  if (r.wrong_store) return {"bad", "The database does not match the store: " + *r.wrong_store};
  if (r.only_the_expected_digest_differs()) {
    return {"bad", "The database matches this store, but " + *r.digest_not_expected +
                       ": is this the store and the database the sign-off named?"};
  }
  std::string why = "The database does not match the store: " + num(c.verified_failed) + " file(s) differ";
  if (r.database_only.files_seen) why += ", " + num(r.database_only.files_seen) + " file(s) are only in the database";
  if (r.table_difference_count) {
    why += "; " + num(static_cast<std::size_t>(r.table_difference_count)) + " difference(s) in its tables";
  }
  return {"bad", why + " (each one below)."};
}

}  // namespace

std::pair<const char*, std::string> html_verdict(const RunReport& r) {
  const Counts& c = r.totals;
  const std::size_t records = c.migrated + c.normalized;
  if (r.status == RunStatus::Cancelled) {  // "cancelled at the prompt ..." says the word once
    const bool says_it = r.message.rfind("cancelled ", 0) == 0;
    return {"bad", says_it ? "C" + r.message.substr(1) : "Cancelled: " + r.message};
  }
  if (r.command == Command::Verify) return verify_verdict(r);
  // The decision the sign-off owns: rejected files accepted are never plain green.
  const std::size_t accepted = r.accepted_rejects();
  const std::string decision =
      accepted ? "; " + num(accepted) + " rejected file(s) accepted with --allow-rejected (not migrated)" : "";
  if (r.command == Command::Rehearse) {
    if (r.status == RunStatus::Succeeded) {
      return {accepted ? "warn" : "ok", "Rehearsal passed: the upgrade would commit " + num(records) +
                                            " records, verified" + decision + (accepted ? "." : "; not blocked.")};
    }
    return {r.blocked && records > 0 ? "warn" : "bad", "Rehearsal: " + r.message};
  }
  if (r.status == RunStatus::Succeeded) {
    return {accepted ? "warn" : "ok", "Committed " + num(records) + " records to the 5.5 database, verified (" +
                                          num(c.verified_passed) + " passed, " + num(c.verified_failed) + " failed)" +
                                          decision + "."};
  }
  return {"bad", "Not committed: " + r.message};
}

std::string html_facts(const RunReport& r) {
  std::vector<std::string> cells;  // th and td of each fact, two facts a row
  const auto row = [&](const char* name, const std::string& value, const char* id, bool mono = false,
                       bool wide = false) {
    cells.push_back(std::string("<th>") + name + "</th><td id=\"" + id + "\"" + (mono ? " class=\"mono\"" : "") +
                    (wide ? " colspan=\"3\"" : "") + ">" +
                    (value.empty() ? "<span class=\"none\">none</span>" : html_text(value)) + "</td>");
    if (wide) cells.push_back("");
  };
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f s", r.elapsed_seconds);
  // Page one holds the whole sign-off whatever the paths: a command line of
  // more than kShownCommand characters is cut there (the summary has it all).
  constexpr std::size_t kShownCommand = 320;
  const std::string command = r.command_shown();
  row("Command",
      command.size() <= kShownCommand
          ? command
          : cut_utf8(command, kShownCommand) + " ... (" + num(command.size()) +
                " characters in all: the JSON Lines summary's command_line has the whole line)",
      "fact-command", true, true);
  row("Source", r.source, "fact-source", true, true);
  row("Target", r.target.value_or(""), "fact-target", true, true);
  const bool verify = r.command == Command::Verify;  // two sides: say whose digest is which
  row(verify ? "Content digest (the database's clients)" : "Content digest", r.content_digest.value_or(""),
      "fact-digest", true, true);
  row(verify ? "Store digest (this store)" : "Store digest", r.store_digest.value_or(""), "fact-store-digest", true,
      true);
  if (r.command != Command::Verify) {
    row("Rejected files",
        r.allow_rejected ? "accepted (--allow-rejected): " + num(r.accepted_rejects()) +
                               " file(s) not migrated (the bytes of those read kept in legacy_files)"
                         : "refused: any rejected file blocks the upgrade",
        "fact-allow-rejected", false, true);
  }
  row("Status", status_name(r.status), "fact-status");
  row("Tool version", r.tool_version, "fact-tool-version");
  row("Host", r.host, "fact-host");
  row("Operator", r.operator_name, "fact-operator");
  row("Started (UTC)", r.started_at, "fact-started");
  row("Finished (UTC)", r.finished_at, "fact-finished");
  row("Duration", seconds, "fact-duration");
  row("Record size limit", r.max_record_size > 0 ? std::to_string(r.max_record_size) + " bytes" : "", "fact-limit");
  if (r.manifest) {
    row("Manifest",
        r.manifest->path + " (sha256 " + r.manifest->file_sha256 + ", " + r.manifest->format + ", " +
            grouped(r.manifest->listed) + " files listed)",
        "fact-manifest", true, true);
    row("The copy", r.manifest->verdict(), "fact-manifest-result", false, true);
  }
  // The message, unless the verdict above says it already (a wrong store's line).
  if (!r.message.empty() && html_verdict(r).second.find(r.message.substr(1)) == std::string::npos) {
    row("Message", r.message, "fact-message", false, true);
  }
  std::string out = "<section id=\"facts\"><h2>The run</h2><table class=\"facts\">";
  for (std::size_t i = 0; i < cells.size(); i += 2) {
    out += "<tr>" + cells[i] + (i + 1 < cells.size() ? cells[i + 1] : std::string()) + "</tr>";
  }
  return out + "</table></section>";
}

/// The counts by outcome, as a bar chart in inline SVG and as a table. A run
/// that wrote nothing labels its bars with what would have been written.
std::string html_counts(const RunReport& r) {
  const Counts c = r.store_side();                 // verify: the database's own entries apart, never mixed in
  const bool done = written(r) && !r.wrong_store;  // another store's files were never written here
  const bool not_written = r.command == Command::Upgrade && !done;
  struct Bar {
    const char* id;
    const char* name;
    std::size_t n;
    const char* colour;
  };
  const Bar bars[] = {{"migrated",
                       done          ? "migrated"
                       : not_written ? "not written: would migrate"
                                     : "would migrate",
                       c.migrated, done ? "#1e7e34" : "#8fbf9a"},
                      {"normalized",
                       done          ? "normalized"
                       : not_written ? "not written: would normalize"
                                     : "would normalize",
                       c.normalized, done ? "#1565c0" : "#8fb2e0"},
                      {"rejected", "rejected", c.rejected, "#b3261e"},
                      {"skipped", "skipped", c.skipped, "#757575"}};
  std::size_t most = 1;
  for (const auto& b : bars) most = std::max(most, b.n);
  std::string svg =
      "<svg role=\"img\" aria-label=\"files by outcome\" width=\"660\" height=\"108\" viewBox=\"0 0 660 108\">";
  int y = 2;
  for (const auto& b : bars) {
    const int width =
        b.n ? std::max(2, static_cast<int>(360.0 * static_cast<double>(b.n) / static_cast<double>(most))) : 0;
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 16) + "\" font-size=\"13\" font-family=\"sans-serif\">" + b.name +
           "</text><rect x=\"210\" y=\"" + std::to_string(y + 3) + "\" width=\"" + std::to_string(width) +
           "\" height=\"18\" fill=\"" + b.colour + "\"/><text x=\"" + std::to_string(216 + width) + "\" y=\"" +
           std::to_string(y + 17) + "\" font-size=\"13\" font-family=\"sans-serif\">" + num(b.n) + "</text>";
    y += 26;
  }
  svg += "</svg>";
  std::string table = "<table class=\"counts\"><thead><tr><th>files seen</th>";
  for (const auto& b : bars) table += std::string("<th>") + b.name + "</th>";
  table +=
      "<th>verified: passed</th><th>verified: failed</th></tr></thead><tr><td class=\"num\" "
      "id=\"count-files_seen\">" +
      std::to_string(c.files_seen) + "</td>";
  for (const auto& b : bars)
    table += std::string("<td class=\"num\" id=\"count-") + b.id + "\">" + std::to_string(b.n) + "</td>";
  table += "<td class=\"num\" id=\"count-verified_passed\">" + std::to_string(c.verified_passed) +
           "</td><td class=\"num\" id=\"count-verified_failed\">" + std::to_string(c.verified_failed) +
           "</td></tr></table>";
  if (r.database_only.files_seen) {
    table += "<p id=\"count-database-only\">Not counted above: " + num(r.database_only.files_seen) +
             " more file(s) in the database that the store does not have (listed in the appendix).</p>";
  }
  const char* title = r.command == Command::Verify ? "The store's files by outcome" : "Files by outcome";
  return "<section id=\"counts\"><h2>" + std::string(title) + "</h2>" + svg + table + "</section>";
}

std::string html_codes(const CodeCounts& files_by_code, std::size_t limit, const char* id) {
  std::string out = std::string("<section id=\"") + id + "\"" + (limit == 0 ? " class=\"appendix\"" : "") + "><h2>" +
                    (limit == 0 ? "Appendix: every finding by code" : "Findings by code") + "</h2>";
  if (files_by_code.empty()) return out + "<p class=\"none\">None: no file listed has an issue.</p></section>";
  out +=
      "<table class=\"codes\"><colgroup><col style=\"width:25%\"><col style=\"width:7%\"><col "
      "style=\"width:33%\"><col></colgroup><thead><tr><th>code</th><th>files</th><th>what it means</th><th>what "
      "to do</th></tr></thead>\n";
  // Errors first, then warnings, then notes: the table's own order within each.
  std::size_t shown = 0;
  for (const Severity s : {Severity::Error, Severity::Warning, Severity::Info}) {
    for (const IssueCode& c : issue_codes()) {
      const auto it = files_by_code.find(std::string(c.name));
      if (c.severity != s || it == files_by_code.end()) continue;
      if (limit != 0 && shown == limit) {
        return out + "<tr><td colspan=\"4\" id=\"codes-more\">... and " + num(files_by_code.size() - shown) +
               " more codes: every one is in the appendix</td></tr></table></section>";
      }
      ++shown;
      const char* tone = s == Severity::Error ? "sev-error" : s == Severity::Warning ? "sev-warning" : "sev-info";
      out += std::string("<tr class=\"") + tone + "\"><td class=\"mono nowrap\" id=\"" + id + "-" +
             std::string(c.name) + "\">" + std::string(c.name) + "</td><td class=\"num\">" + num(it->second) +
             "</td><td>" + html_text(c.meaning) + "</td><td>" + html_text(c.what_to_do) + "</td></tr>\n";
    }
  }
  return out + "</table></section>";
}

std::string html_next_steps(const RunReport& r) {
  std::vector<std::string> steps;
  const Counts& c = r.totals;
  const bool ok = r.status == RunStatus::Succeeded;
  if (r.status == RunStatus::Cancelled) {
    steps.push_back("Nothing was committed; an existing target is unchanged. Run the command again when ready.");
  } else if (r.command == Command::Rehearse) {
    if (ok) {
      steps.push_back("Keep this report and its content digest: the upgrade of the same store records the same one.");
      steps.push_back("Stop the KM service, copy the final store, and run the upgrade with the same options.");
    } else {
      steps.push_back(
          "Fix each rejected file in a copy of the store (what to do: the table above), or decide with "
          "the approver to accept them and rehearse with --allow-rejected.");
    }
  } else if (r.command == Command::Upgrade) {
    if (ok) {
      steps.push_back("Run kms-migrate verify with the same --source and --target, and keep its report with this one.");
    } else {
      steps.push_back("Nothing was written at the target. Fix the cause above, rehearse again, then run the upgrade.");
    }
  } else {
    steps.push_back(ok ? "Keep this report with the upgrade's: the database is what the store says."
                    : r.only_the_expected_digest_differs()
                        ? "Nothing in the pair is damaged: compare --expect-digest with the digests of the "
                          "rehearsal's and the upgrade's sign-off, and check that --source and --target are the "
                          "copies they name."
                        : "Do not put the database in service: check --source and --target, then upgrade again.");
  }
  if (c.normalized && r.command != Command::Verify && r.status != RunStatus::Cancelled) {
    steps.push_back("For each of the " + num(c.normalized) +
                    " normalized mailbox(es) (appendix): recover the mailbox in the KM administrator program and "
                    "give the user the new token.");
  }
  if (r.accepted_rejects() && r.status != RunStatus::Cancelled) {
    steps.push_back("The " + num(r.accepted_rejects()) +
                    " accepted rejected file(s) (appendix) have no record in the 5.5 database: enrol those users "
                    "again, or recover their bytes from legacy_files as the runbook shows.");
  }
  std::string out = "<section id=\"next\"><h2>Next steps</h2><ol>";
  for (const auto& s : steps) out += "<li>" + html_text(s) + "</li>";
  return out + "</ol></section>";
}

std::string html_signature(const RunReport& r) {
  return "<section id=\"signature\"><h2>Sign-off</h2><table class=\"signature\"><thead><tr><th></th><th>name and "
         "role</th><th>signature</th><th>date</th></tr></thead>"
         "<tr><th>Prepared by</th><td></td><td></td><td></td></tr>"
         "<tr><th>Approved by</th><td></td><td></td><td></td></tr></table>"
         "<p class=\"small\">Run by " +
         html_text(r.operator_name.empty() ? std::string("(unknown)") : r.operator_name) + " on " + html_text(r.host) +
         "; content digest <span class=\"mono\">" + html_text(r.content_digest.value_or("none")) +
         "</span>.</p></section>";
}

}  // namespace kms::core
