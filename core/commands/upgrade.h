// The migration pipeline shared by `upgrade` and `rehearse`:
// analyse -> decide -> write a temporary database -> verify -> commit.
#pragma once
#include "run_result.h"
#include "upgrade_options.h"

namespace kms::core {

RunResult run_upgrade(const UpgradeOptions& options, const UpgradeHooks& hooks);

}  // namespace kms::core
