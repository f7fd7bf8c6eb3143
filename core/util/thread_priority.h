// Scheduling priority of the calling thread.
#pragma once

namespace kms::core {

/// Lowers the calling thread's scheduling priority by `niceness` (Linux keeps a
/// nice value per thread). Used for the pipeline's workers, so that the one
/// thread they all feed (the SQLite writer) is not left waiting for a core
/// while they run ahead (docs/performance.md). Best effort: errors are ignored.
void lower_this_thread_priority(int niceness) noexcept;

}  // namespace kms::core
