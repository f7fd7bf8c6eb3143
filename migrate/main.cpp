// kms-migrate: parse the options, run the command, exit with its code.
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "console.h"
#include "options.h"
#include "signals.h"
#include "sqlite_handle.h"

// The cancelling signals are routed to the cancel flag before anything else of
// this program runs (a constructor of the executable, ahead of the others), so
// that a signal at any moment of the start-up cancels cleanly.
__attribute__((constructor(101))) static void route_signals_first() { kms::cli::install_cancel_handlers(); }

int main(int argc, char** argv) {
  kms::cli::install_cancel_handlers();  // again: harmless, and certain even if the constructor did not run
  kms::core::interrupt_sqlite_on(&kms::cli::cancel_flag());
  const std::vector<std::string> args(argv + 1, argv + argc);
  const kms::cli::ParseOutcome parsed = kms::cli::parse_options(args);
  if (!parsed.options) {
    kms::cli::say_own_text(parsed.exit_code == kms::core::ExitCode::Ok ? stdout : stderr, parsed.text);
    return static_cast<int>(parsed.exit_code);
  }
  return kms::cli::run_command(*parsed.options);
}
