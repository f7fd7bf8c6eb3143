// SIGINT and SIGTERM request cancellation; the run notices between steps.
#pragma once
#include "run_control.h"

namespace kms::cli {

/// The process's cancel flag, set by SIGINT/SIGTERM once the handlers are installed.
core::CancelFlag& cancel_flag();

/// Route SIGINT/SIGTERM to cancel_flag() (without SA_RESTART, so a blocking prompt
/// returns). Called first thing in main, so that a signal during start-up cancels too.
void install_cancel_handlers();

}  // namespace kms::cli
