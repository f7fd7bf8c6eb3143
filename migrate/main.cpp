// kms-migrate: parse the options, run the command, exit with its code.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.h"
#include "console.h"
#include "options.h"
#include "signals.h"
#include "sqlite_handle.h"
#include "std_streams.h"

// The cancelling signals are routed to the cancel flag before anything else of
// this program runs (a constructor of the executable, ahead of the others), so
// that a signal at any moment of the start-up cancels cleanly.
__attribute__((constructor(101))) static void route_signals_first() {
  kms::cli::open_missing_standard_streams();
  kms::cli::install_cancel_handlers();
}

namespace {

/// The exit code once stdout and stderr are flushed: a write to them that
/// failed (`> /dev/full`) is exit 3, or 4 once an upgrade has committed; output
/// cut short by a cancel (a full pipe nobody reads) keeps the cancel's code.
int checked_exit(int code, bool committed, const std::filesystem::path& kept_copy = {}) {
  const int err = kms::cli::finish_standard_streams();
  if (err == 0) return code;
  if (!kept_copy.empty()) {  // a rehearsal whose result cannot be told leaves nothing behind
    std::error_code ec;
    std::filesystem::remove(kept_copy, ec);
    KMS_SAY(stderr, "kms-migrate: the --keep-db copy '%s' was removed\n", kept_copy.string());
  }
  const auto cancelled = static_cast<int>(kms::core::ExitCode::Cancelled);
  if (kms::cli::cancel_flag().requested() && (err == EINTR || err == ETIMEDOUT)) {
    KMS_SAY(stderr, "kms-migrate: cancelled; output not yet written to standard output was left out\n");
    return committed ? static_cast<int>(kms::core::ExitCode::ReportIncomplete) : cancelled;
  }
  const std::string why = std::strerror(err);
  if (committed) {
    KMS_SAY(stderr,
            "kms-migrate: the database is committed and verified, but the summary could not be written to "
            "standard output: %s\n",
            why);
  } else {
    KMS_SAY(stderr, "kms-migrate: cannot write to standard output: %s; the run's result is not complete there\n", why);
  }
  if (committed) return static_cast<int>(kms::core::ExitCode::ReportIncomplete);
  return code == cancelled ? code : static_cast<int>(kms::core::ExitCode::Internal);
}

}  // namespace

int main(int argc, char** argv) {
  kms::cli::open_missing_standard_streams();  // again: harmless, and certain even if the constructor did not run
  kms::cli::install_cancel_handlers();
  kms::core::interrupt_sqlite_on(&kms::cli::cancel_flag());
  const std::vector<std::string> args(argv + 1, argv + argc);
  const kms::cli::ParseOutcome parsed = kms::cli::parse_options(args);
  if (!parsed.options) {
    kms::cli::say_own_text(parsed.exit_code == kms::core::ExitCode::Ok ? stdout : stderr, parsed.text);
    return checked_exit(static_cast<int>(parsed.exit_code), false);
  }
  std::filesystem::path kept_copy;
  const int code = kms::cli::run_command(*parsed.options, kept_copy);
  const bool committed = parsed.options->command == kms::cli::Command::Upgrade &&
                         (code == 0 || code == static_cast<int>(kms::core::ExitCode::ReportIncomplete));
  return checked_exit(code, committed, kept_copy);
}
