// The four commands of kms-migrate, named once: what a run was, in the code,
// and its word in every output ("upgrade", ...).
#pragma once

namespace kms::core {

enum class Command { Scan, Rehearse, Upgrade, Verify };

/// "scan", "rehearse", "upgrade" or "verify".
const char* command_name(Command c);

}  // namespace kms::core
