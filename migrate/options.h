// Command-line options of kms-migrate (docs/commands.md) into a plain struct.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "failure.h"
#include "kms_version.h"

namespace kms::cli {

using core::Command;
enum class ProgressMode { Auto, Always, Never };

struct Options {
  Command command = Command::Upgrade;
  std::string source;
  std::string target;
  std::vector<std::string> reports;  ///< --report, in the order given
  std::optional<std::string> keep_db;
  std::optional<std::string> mailbox;
  std::optional<std::string> manifest;       ///< --manifest FILE (every command)
  std::optional<std::string> expect_digest;  ///< verify --expect-digest HEX
  bool json = false;
  bool summary = false;         ///< scan --mailbox: the inventory too
  bool all = false;             ///< scan, rehearse, upgrade: every line of each list
  bool allow_rejected = false;  ///< upgrade, and rehearse to model it
  std::string command_line;     ///< as typed, quoted for a shell: the report's "Command"
  bool force = false;
  bool yes = false;
  bool quiet = false;
  int jobs = 1;
  ProgressMode progress = ProgressMode::Auto;
  std::int64_t max_record_size = 1 << 20;
  bool max_record_size_given = false;  ///< typed, not the default (verify otherwise uses the recorded one)
};

/// What parsing decided: run the command, or print text (help, version, error) and exit.
struct ParseOutcome {
  std::optional<Options> options;
  std::string text;                               ///< help or version (stdout), or an error (stderr)
  core::ExitCode exit_code = core::ExitCode::Ok;  ///< when there are no options: Ok for help/version, Usage for errors
};

ParseOutcome parse_options(const std::vector<std::string>& args);

using core::command_name;

}  // namespace kms::cli
