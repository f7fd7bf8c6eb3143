// Everything kms-migrate says to the operator: progress, the question before
// an upgrade, the closing summary. Secrets never reach these functions.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "options.h"
#include "report.h"
#include "upgrade.h"

namespace kms::cli {

/// A live progress line on stderr, redrawn at most ten times a second.
class ProgressLine {
 public:
  explicit ProgressLine(ProgressMode mode);
  void update(const char* phase, std::size_t done, std::size_t total);
  void clear();

 private:
  bool enabled_;
  std::string phase_;
  std::chrono::steady_clock::time_point phase_start_, last_draw_;
  bool drawn_ = false;
  std::size_t width_ = 0;  // of the line drawn
};

/// The controlling terminal (/dev/tty), read and write; -1 when there is none.
int open_controlling_terminal();

/// Shows the plan on the terminal `tty` and reads the answer from it (so that a
/// redirected stdin or stdout changes nothing); true only for y/yes. A cancel
/// (Ctrl-C) is answered while it waits, even one that came before it began to
/// read: false, and the cursor on a fresh line.
core::Answer ask_to_proceed(int tty, const core::Plan& plan, const core::CancelFlag* cancel);

/// The --manifest check: its facts and verdict, then each difference (the first 25 unless `all`).
void print_manifest(std::FILE* out, const core::ManifestResult& m, bool all);

/// The closing summary of a run: the results (facts, counts, the
/// normalizations, digests, the report files written) on `out`, then the
/// trouble (the differences, the rejected files, the manifest's
/// differences) and the status line last on `trouble`: stderr when the run
/// exits non-zero, as rsync and apt do, so that `> /dev/null` in a cron job
/// still mails the problem. With --quiet, only the status line.
void print_run_summary(std::FILE* out, std::FILE* trouble, const core::RunResult& r, bool quiet,
                       const std::vector<std::filesystem::path>& reports);

}  // namespace kms::cli
