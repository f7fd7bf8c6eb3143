// Runs one parsed command through the core library; returns the exit code.
#pragma once
#include <filesystem>

#include "options.h"

namespace kms::cli {

/// `kept_copy`: the --keep-db copy a rehearsal put in place (else empty), for
/// the caller to remove if the summary cannot be written.
int run_command(const Options& options, std::filesystem::path& kept_copy);

}  // namespace kms::cli
