// SIGINT and SIGTERM request cancellation; the run notices between steps.
#pragma once
#include "run_control.h"

namespace kms::cli {

/// Route SIGINT/SIGTERM to `flag` (without SA_RESTART, so a blocking prompt returns).
void install_cancel_handlers(core::CancelFlag& flag);

}  // namespace kms::cli
