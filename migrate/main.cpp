// kms-migrate: parse the options, run the command, exit with its code.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "console.h"
#include "options.h"
#include "signals.h"

int main(int argc, char** argv) {
  // Past a file-size limit, writes fail with EFBIG (reported, exit 3) instead of killing us.
  std::signal(SIGXFSZ, SIG_IGN);
  kms::cli::install_cancel_handlers();
  const std::vector<std::string> args(argv + 1, argv + argc);
  const kms::cli::ParseOutcome parsed = kms::cli::parse_options(args);
  if (!parsed.options) {
    kms::cli::say_own_text(parsed.exit_code == 0 ? stdout : stderr, parsed.text);
    return parsed.exit_code;
  }
  return kms::cli::run_command(*parsed.options);
}
