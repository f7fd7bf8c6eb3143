// SIGINT, SIGTERM, SIGHUP and SIGQUIT request cancellation; the run notices
// between steps and inside long SQLite statements. SIGPIPE is ignored, so a
// closed stdout is a failed write, never a killed run.
#pragma once
#include "run_control.h"

namespace kms::cli {

/// The process's cancel flag, set by the cancelling signals once the handlers are installed.
core::CancelFlag& cancel_flag();
/// The signal that cancelled the run (0 if none), for the message.
int cancelling_signal();

/// Route the cancelling signals to cancel_flag() (without SA_RESTART, so a
/// blocking prompt returns), ignore SIGPIPE and SIGXFSZ, then unblock the
/// cancelling signals: one that arrived while they were blocked (a parent's
/// mask is inherited) is delivered to the handler at once. Runs before main
/// (a constructor of the executable) and is safe to call again.
void install_cancel_handlers();

}  // namespace kms::cli
