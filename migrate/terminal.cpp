#include "terminal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>

#include "console.h"
#include "text_util.h"

namespace kms::cli {

ProgressLine::ProgressLine(ProgressMode mode)
    : enabled_(mode == ProgressMode::Always || (mode == ProgressMode::Auto && ::isatty(STDERR_FILENO))) {}

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
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  say(stderr, "\r%-9s %zu/%zu files  %.0f/s  ETA %.0f s   ", phase, done, total, rate, eta);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  say(stderr, "\r%-70s\r", "");
  std::fflush(stderr);
  drawn_ = false;
}

int open_controlling_terminal() { return ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC); }

bool ask_to_proceed(int tty, const core::Plan& plan) {
  const auto& c = plan.counts;
  const std::string question = say_to_string(
      "kms-migrate upgrade is ready to commit. It will write %zu client record(s) (%zu migrated, %zu normalized)\n"
      "  from    %s\n"
      "  to      %s\n"
      "  digest  %s\n"
      "%zu file(s) rejected and %zu skipped will not be migrated (their bytes are archived).\n"
      "Proceed? [y/N] ",
      c.migrated + c.normalized, c.migrated, c.normalized, plan.source, plan.target,
      plan.content_digest.empty() ? std::string("(none)") : plan.content_digest, c.rejected, c.skipped);
  if (!write_to_terminal(tty, question)) return false;
  std::string answer;
  char ch;
  for (;;) {
    const ssize_t n = ::read(tty, &ch, 1);
    if (n < 0 && errno == EINTR) return false;  // Ctrl-C at the prompt
    if (n <= 0 || ch == '\n') break;
    answer.push_back(ch);
  }
  const std::string a = core::to_lower_ascii(core::trim(answer));
  return a == "y" || a == "yes";
}

void print_run_summary(std::FILE* out, const core::RunResult& r, bool quiet) {
  const core::RunReport& rep = r.report;
  const core::Counts c = rep.totals;
  say(out, "kms-migrate %s: %s\n", rep.command.c_str(), core::status_name(rep.status));
  if (!rep.message.empty()) say(out, "  %s\n", rep.message.c_str());
  if (quiet) return;
  for (const auto& n : r.notes) say(out, "  note: %s\n", n.c_str());
  say(out, "  source    %s\n", rep.source.c_str());
  if (rep.target) say(out, "  target    %s\n", rep.target->c_str());
  // A rehearsal, or an upgrade that did not commit, speaks of what would happen.
  const bool rehearsal =
      rep.command == "rehearse" || (rep.command == "upgrade" && rep.status != core::RunStatus::Succeeded);
  say(out, "  files     %zu seen: %zu %s, %zu %s, %zu rejected, %zu skipped\n", c.files_seen, c.migrated,
      rehearsal ? "would migrate" : "migrated", c.normalized, rehearsal ? "would be normalized" : "normalized",
      c.rejected, c.skipped);
  const core::TerminalLists& l = rep.lists;
  if (l.with_warnings) say(out, "  warnings  %zu migrated file(s) carry warnings (see the report)\n", l.with_warnings);
  say(out, "  verified  %zu passed, %zu failed\n", c.verified_passed, c.verified_failed);
  if (rep.command == "rehearse") {
    say(out, "  upgrade   %s\n",
        rep.blocked ? "would be BLOCKED by the rejected files (fix them, or run upgrade with --allow-rejected)"
                    : "would not be blocked");
  }
  // Lists are cut at TerminalLists::kLimit lines; the report always has every one.
  if (!l.normalized.empty()) say(out, "  normalized (KB Q198709, State 4 Recovery -> new):\n");
  for (const auto& line : l.normalized) say(out, "    %s\n", line.c_str());
  if (l.normalized_more) say(out, "    ... and %zu more (see the report)\n", l.normalized_more);
  if (!l.failures.empty()) say(out, "  verification failed (every difference):\n");
  for (const auto& line : l.failures) say(out, "    %s\n", line);
  if (!l.problems.empty())
    say(out, "  rejected%s:\n", rep.command == "verify" ? " (as the upgrade rejected them)" : "");
  for (const auto& line : l.problems) say(out, "    %s\n", line.c_str());
  if (l.problems_more) say(out, "    ... and %zu more (see the report)\n", l.problems_more);
  if (rep.content_digest) {
    say(out, "  digest    %s%s\n", rep.content_digest->c_str(),
        rep.command == "rehearse"
            ? (rep.blocked ? " (what upgrade --allow-rejected will record)" : " (what the upgrade will record)")
            : "");
  }
  say(out, "  time      %.2f s\n", rep.elapsed_seconds);
}

}  // namespace kms::cli
