// Giving memory that a finished phase no longer uses back to the system.
#pragma once

namespace kms::core {

/// Returns the allocator's free memory to the system: tcmalloc's
/// ReleaseFreeMemory when the program is linked with it, glibc's malloc_trim
/// otherwise. Called between phases, so that what the build freed does not
/// stay resident beside the caches of the verification (docs/performance.md).
void release_free_memory() noexcept;

}  // namespace kms::core
