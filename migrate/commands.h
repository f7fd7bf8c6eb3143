// Runs one parsed command through the core library; returns the exit code.
#pragma once
#include "options.h"

namespace kms::cli {

int run_command(const Options& options);

}  // namespace kms::cli
