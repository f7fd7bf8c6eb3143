// Cancellation (by a signal or the operator) and progress, shared by every pass.
#pragma once
#include <atomic>
#include <cstddef>
#include <functional>

#include "failure.h"

namespace kms::core {

class CancelFlag {
 public:
  /// Async-signal-safe: a lock-free atomic store.
  void request() noexcept { flag_.store(true, std::memory_order_relaxed); }
  bool requested() const noexcept { return flag_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> flag_{false};
  static_assert(std::atomic<bool>::is_always_lock_free, "signal handlers need a lock-free flag");
};

/// Called after each file of a pass: phase name ("reading", "writing", "verifying"), done, total.
using ProgressFn = std::function<void(const char* phase, std::size_t done, std::size_t total)>;

inline void throw_if_cancelled(const CancelFlag* f) {
  if (f && f->requested()) throw Stop(ExitCode::Cancelled, "cancelled");
}

}  // namespace kms::core
