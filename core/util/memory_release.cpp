#include "memory_release.h"

#include <malloc.h>

// gperftools' C API; a weak reference, null unless tcmalloc is linked in
// (-DKMS_TCMALLOC=ON, for scripts/bench-allocator only).
extern "C" void MallocExtension_ReleaseFreeMemory(void) __attribute__((weak));

namespace kms::core {

void release_free_memory() noexcept {
  if (MallocExtension_ReleaseFreeMemory != nullptr) {
    MallocExtension_ReleaseFreeMemory();
  } else {
    ::malloc_trim(0);
  }
}

}  // namespace kms::core
