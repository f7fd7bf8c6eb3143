#include "terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <map>
#include <vector>

#include "console.h"
#include "text_util.h"

namespace kms::cli {

ProgressLine::ProgressLine(ProgressMode mode)
    : enabled_(mode == ProgressMode::Always || (mode == ProgressMode::Auto && ::isatty(STDERR_FILENO))) {}

namespace {

/// Columns of the terminal on stderr, however few (80 when it does not say).
std::size_t terminal_width() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

void ProgressLine::update(const char* phase, std::size_t done, std::size_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (phase_ != phase) {
    phase_ = phase;
    phase_start_ = now;
  } else if (done != total && now - last_draw_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - phase_start_).count();
  std::string line;
  if (total == 0) {
    line = phase_ + "...";  // a step without a count: its name, so the line never sits at "ETA 0 s"
  } else if (done == 0 || secs < 0.5) {
    line = KMS_SAY_TO_STRING("%-9s %zu/%zu files", phase_, done, total);  // no rate from a first instant
  } else if (done == total) {
    line = KMS_SAY_TO_STRING("%-9s %zu/%zu files  %.0f/s", phase_, done, total, static_cast<double>(done) / secs);
  } else {
    const double rate = static_cast<double>(done) / secs;
    const double eta = static_cast<double>(total - done) / rate;
    line = KMS_SAY_TO_STRING("%-9s %zu/%zu files  %.0f/s  ETA %.0f s", phase_, done, total, rate, eta);
  }
  // The last column would wrap on some terminals, and the terminal's own echo
  // of Ctrl-C ("^C") lands after the line: three columns stay free, so that
  // neither pushes it onto a second line the clearing \r cannot reach. A line
  // one column wide still redraws in place.
  const std::size_t columns = terminal_width();
  const std::size_t width = columns > 4 ? columns - 3 : 1;
  if (line.size() > width) line.resize(width);
  line.resize(width, ' ');
  say_own_text(stderr, "\r" + line);
  flush_output(stderr);
  drawn_ = true;
  width_ = width;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  say_own_text(stderr, "\r" + std::string(width_, ' ') + "\r");
  flush_output(stderr);
  drawn_ = false;
}

int open_controlling_terminal() { return ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC); }

core::Answer ask_to_proceed(int tty, const core::Plan& plan, const core::CancelFlag* cancel) {
  const auto& c = plan.counts;
  std::string question = KMS_SAY_TO_STRING(
      "kms-migrate upgrade is ready to commit.\n"
      "It will write %zu client record(s) (%zu migrated, %zu normalized)\n"
      "  from    %s\n"
      "  to      %s\n"
      "  digest  %s\n"
      "          (content_digest: the clients)\n"
      "  store   %s\n"
      "          (store_digest: every file read, rejects and skips included)\n",
      c.migrated + c.normalized, c.migrated, c.normalized, plan.source, plan.target,
      plan.content_digest.empty() ? std::string("(none)") : plan.content_digest,
      plan.store_digest.empty() ? std::string("(none)") : plan.store_digest);
  if (!plan.replacing.empty()) {
    question += KMS_SAY_TO_STRING("and REPLACE (--force) what is at the target now:\n  %s\n", plan.replacing);
  }
  if (c.rejected + c.skipped > 0) {  // lines of under 80 columns
    question += KMS_SAY_TO_STRING(
        "%zu file(s) rejected and %zu skipped will not be migrated. The bytes of each\n"
        "rejected file that could be read are archived in legacy_files; links,\n"
        "unreadable and too-large files, and skipped entries, are not.\n",
        c.rejected, c.skipped);
  }
  question += "Proceed? [y/N] ";
  if (!write_to_terminal(tty, question)) return core::Answer::No;
  std::string answer;
  char ch;
  for (;;) {
    // The flag is looked at between waits of at most a fifth of a second: a
    // Ctrl-C that came before read() began (it then restarts or never returns
    // EINTR) is answered all the same.
    if (cancel && cancel->requested()) {
      (void)write_to_terminal(tty, "\n");  // what follows starts on a line of its own, not after "^C"
      return core::Answer::No;
    }
    pollfd p{tty, POLLIN, 0};
    const int ready = ::poll(&p, 1, 200);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    const ssize_t n = ::read(tty, &ch, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // Ctrl-D, or the terminal gone: no answer, and no line end was typed
      (void)write_to_terminal(tty, "\n");
      return core::Answer::EndOfInput;
    }
    if (ch == '\n') break;
    answer.push_back(ch);
  }
  const std::string a = core::to_lower_ascii(core::trim(answer));
  return a == "y" || a == "yes" ? core::Answer::Yes : core::Answer::No;
}

namespace {

/// Where the rest of a cut list is: "every one is in the report" only when there is one.
const char* rest_is(const std::vector<std::filesystem::path>& reports, core::Command command) {
  if (command == core::Command::Verify)
    return reports.empty() ? "a --report lists every one" : "every one is in the report";
  return reports.empty() ? "--all lists every one" : "every one is in the report; --all lists them here";
}

/// The files whose verification failed, and the rejected files.
void print_problems(std::FILE* out, const core::RunReport& rep, const char* rest) {
  const core::TerminalLists& l = rep.lists;
  // Against the wrong store every record differs: a sample says so, the report holds them all.
  const std::size_t shown = rep.wrong_store ? std::min<std::size_t>(10, l.failures.size()) : l.failures.size();
  if (!l.failures.empty()) KMS_SAY(out, "  verification failed:\n");
  for (std::size_t i = 0; i < shown; ++i) KMS_SAY(out, "    %s\n", l.failures[i]);
  if (l.failures_more + l.failures.size() - shown) {
    KMS_SAY(out, "    ... and %zu more (%s)\n", l.failures_more + l.failures.size() - shown, rest);
  }
  if (!l.problems.empty())
    KMS_SAY(out, "  rejected%s:\n", rep.command == core::Command::Verify ? " (as the upgrade rejected them)" : "");
  for (const auto& line : l.problems) KMS_SAY(out, "    %s\n", line);
  if (l.problems_more) KMS_SAY(out, "    ... and %zu more (%s)\n", l.problems_more, rest);
}

/// The normalizations: their one reason once, then a line a file.
void print_normalized(std::FILE* out, const core::RunReport& rep, const char* rest) {
  const core::TerminalLists& l = rep.lists;
  if (l.normalized.empty()) return;
  KMS_SAY(out,
          "  normalized (KB Q198709: State 4 Recovery without NumSCerts, never enrolled -> New;\n"
          "             recover each mailbox in the KM administrator program, give the user the new token):\n");
  for (const auto& line : l.normalized) KMS_SAY(out, "    %s\n", line);
  if (l.normalized_more) KMS_SAY(out, "    ... and %zu more (%s)\n", l.normalized_more, rest);
}

/// The skipped entries: not record files, never read, and why.
void print_skipped(std::FILE* out, const core::RunReport& rep, const char* rest) {
  const core::TerminalLists& l = rep.lists;
  if (l.skipped.empty()) return;
  KMS_SAY(out, "  skipped (not record files: never read):\n");
  for (const auto& line : l.skipped) KMS_SAY(out, "    %s\n", line);
  if (l.skipped_more) KMS_SAY(out, "    ... and %zu more (%s)\n", l.skipped_more, rest);
}

/// Columns of the terminal stdout is, 80 when it is not one.
std::size_t stdout_width() {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

/// "bad-value 20, missing-key 6": the rejected files per code, most first, in
/// lines that fit `width` columns after the 12 of "  rejected  " (each line
/// printed on its own: a line end inside a value would be shown escaped).
std::vector<std::string> by_code(const std::map<std::string, std::size_t>& codes, std::size_t width) {
  std::vector<std::pair<std::size_t, std::string>> sorted;
  for (const auto& [code, n] : codes) sorted.emplace_back(n, code);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  constexpr std::size_t kIndent = 12;
  const std::size_t room = width > kIndent + 20 ? width - kIndent - 1 : 20;  // the last column left free
  std::vector<std::string> lines(1);
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    const std::string item =
        sorted[k].second + " " + std::to_string(sorted[k].first) + (k + 1 < sorted.size() ? "," : "");
    if (!lines.back().empty() && lines.back().size() + 1 + item.size() > room) lines.emplace_back();
    lines.back() += (lines.back().empty() ? "" : " ") + item;
  }
  return lines;
}

/// The recap, the block just above the status line: the counts, the rejects by
/// code, warnings, the verification, what the upgrade would do, the reports.
void print_recap(std::FILE* out, const core::RunReport& rep, const std::vector<std::filesystem::path>& reports) {
  const core::Counts c = rep.store_side();
  const core::Counts& gone = rep.database_only;  // verify: the database's side, never mixed into the store's
  // A rehearsal, or an upgrade that did not commit, speaks of what would happen.
  const bool rehearsal = rep.command == core::Command::Rehearse ||
                         (rep.command == core::Command::Upgrade && rep.status != core::RunStatus::Succeeded);
  KMS_SAY(out, "  files     %zu seen%s: %zu %s, %zu %s, %zu rejected, %zu skipped\n", c.files_seen,
          rep.command == core::Command::Verify ? " in the store" : "", c.migrated,
          rehearsal ? "would migrate" : "migrated", c.normalized, rehearsal ? "would be normalized" : "normalized",
          c.rejected, c.skipped);
  if (gone.files_seen) {
    KMS_SAY(out, "  database  %zu more file(s) in the database that the store does not have (unexpected-in-target)\n",
            gone.files_seen);
  }
  if (!rep.lists.rejects_by_code.empty()) {
    const auto lines = by_code(rep.lists.rejects_by_code, stdout_width());
    for (std::size_t k = 0; k < lines.size(); ++k) KMS_SAY(out, "  %-8s  %s\n", k ? "" : "rejected", lines[k]);
  }
  if (rep.lists.with_warnings) {
    KMS_SAY(out, "  warnings  %zu migrated file(s) carry warnings (%s)\n", rep.lists.with_warnings,
            reports.empty() ? "a --report lists them" : "listed in the report");
  }
  KMS_SAY(out, "  verified  %zu passed, %zu failed%s\n", c.verified_passed, c.verified_failed,
          gone.files_seen ? " (of the store's files; the database's own above)" : "");
  const std::size_t accepted = rep.accepted_rejects();
  if (rep.command == core::Command::Rehearse) {
    if (accepted) {
      KMS_SAY(out, "  upgrade   would commit %zu records; %zu rejected file(s) accepted with --allow-rejected\n",
              c.migrated + c.normalized, accepted);
    } else {
      KMS_SAY(out, "  upgrade   %s\n",
              rep.store_failure ? "would FAIL whatever --allow-rejected says (why: the last line)"
              : rep.blocked
                  ? "would be BLOCKED by the rejected files (fix them, or rehearse and upgrade with --allow-rejected)"
                  : "would not be blocked");
    }
  } else if (accepted && rep.status == core::RunStatus::Succeeded) {
    KMS_SAY(out, "  accepted  %zu rejected file(s) with --allow-rejected: not migrated\n", accepted);
  }
  for (const auto& p : reports) KMS_SAY(out, "  report    %s\n", p.string());
}

}  // namespace

void print_manifest(std::FILE* out, const core::ManifestResult& m, bool all) {
  KMS_SAY(out, "  manifest  %s (sha256 %s, %s, %s file(s) listed)\n", m.path, m.file_sha256, m.format,
          core::grouped(m.listed));
  KMS_SAY(out, "            the copy %s\n", m.verdict());
  constexpr std::size_t kShown = 25;
  const std::size_t shown = all ? m.named.size() : std::min(kShown, m.named.size());
  for (std::size_t i = 0; i < shown; ++i) KMS_SAY(out, "    %s\n", m.named[i]);
  const std::size_t more = m.named.size() - shown + m.named_more;
  if (more)
    KMS_SAY(out, "    ... and %zu more (%s)\n", more, all ? "see the report" : "--all or the report lists them");
}

void print_run_summary(std::FILE* out, std::FILE* trouble, const core::RunResult& r, bool quiet,
                       const std::vector<std::filesystem::path>& reports) {
  const core::RunReport& rep = r.report;
  // A cancelled run's counts are of the files reported before it stopped: its message says what was done.
  const bool counted = rep.status != core::RunStatus::Cancelled;
  const char* rest = rest_is(reports, rep.command);
  // Each switch of stream flushes the other: on a terminal, or in `> log 2>&1`, the order is the order written.
  const auto now_on = [&](std::FILE* was) {
    if (trouble != out) flush_output(was);
  };
  if (rep.wrong_store && !quiet) {  // the one useful line, first, where it cannot scroll away unseen
    KMS_SAY(trouble, "kms-migrate %s: %s\n", core::command_name(rep.command), *rep.wrong_store);
    now_on(trouble);
  }
  if (!quiet) {
    for (const auto& n : r.notes) KMS_SAY(out, "  note: %s\n", n);
    KMS_SAY(out, "  source    %s\n", rep.source);
    if (rep.target) KMS_SAY(out, "  target    %s\n", *rep.target);
    if (counted) {
      print_normalized(out, rep, rest);
      print_skipped(out, rep, rest);
    }
    if (rep.content_digest) {
      KMS_SAY(out, "  digest    %s%s\n", *rep.content_digest,
              rep.command == core::Command::Verify ? " (content_digest: the database's clients, read back)"
              : rep.command == core::Command::Upgrade && rep.status != core::RunStatus::Succeeded
                  ? (rep.blocked && !rep.store_failure ? " (what upgrade --allow-rejected will record; nothing was "
                                                         "committed)"
                                                       : " (of what this run read and checked; nothing was committed)")
              : rep.command != core::Command::Rehearse ? ""
              : rep.store_failure                      ? " (the store as it is now; the upgrade of it would fail)"
              : rep.blocked                            ? " (what upgrade --allow-rejected will record)"
                                                       : " (what the upgrade will record)");
    }
    if (rep.store_digest) KMS_SAY(out, "  store     %s (store_digest: every file read)\n", *rep.store_digest);
    KMS_SAY(out, "  time      %.2f s\n", rep.elapsed_seconds);
    now_on(out);
    if (counted) print_problems(trouble, rep, rest);
    if (rep.manifest) print_manifest(trouble, *rep.manifest, false);
    now_on(trouble);
    if (counted) {
      print_recap(out, rep, reports);
    } else {
      for (const auto& p : reports) KMS_SAY(out, "  report    %s\n", p.string());
    }
    now_on(out);
  }
  // The closing status line: always, and last.
  const std::size_t accepted = rep.status == core::RunStatus::Succeeded ? rep.accepted_rejects() : 0;
  const std::string decision =
      accepted ? std::to_string(accepted) + " rejected file(s) accepted with --allow-rejected" : std::string();
  // A message that starts with the status word says it once ("cancelled at the prompt ...").
  const std::string status = core::status_name(rep.status);
  const bool says_it = rep.message.rfind(status + " ", 0) == 0;
  KMS_SAY(trouble, "kms-migrate %s: %s%s%s%s\n", core::command_name(rep.command), says_it ? "" : status,
          says_it || (rep.message.empty() && decision.empty()) ? "" : ": ", rep.message, decision);
}

}  // namespace kms::cli
