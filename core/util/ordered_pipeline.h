// Work on N workers, results consumed in input order on the calling thread.
#pragma once
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "thread_priority.h"

namespace kms::core {

/// produce(i) runs on up to `jobs` threads; consume(i, value) runs on the
/// caller's thread for i = 0, 1, ... n-1 in order. A worker claims and publishes
/// a batch of items at a time (one wake-up of the caller per batch, not per
/// item); at most jobs * 32 results wait at once, so memory stays bounded. The first exception stops the work
/// and is rethrown here. What consume leaves in a value is destroyed on the
/// worker that produced it: the memory came from that thread's malloc arena, and
/// freeing it on any other thread contended for the arena's lock (docs/performance.md).
template <typename T>
void for_each_ordered(std::size_t n, int jobs, const std::function<T(std::size_t)>& produce,
                      const std::function<void(std::size_t, T&&)>& consume) {
  if (jobs < 1 || n < 2) {
    for (std::size_t i = 0; i < n; ++i) consume(i, produce(i));
    return;
  }
  constexpr std::size_t kBatch = 8;
  // The workers yield the core to the caller's thread, which consumes in order:
  // with three threads on two cores, an equal share left the writer, the one
  // serial stage, waiting for a core (build 1.9 s -> 1.55 s at 100,000 records).
  // At nice +10 a worker sharing the writer's core still took a tenth of it, the
  // writer fell behind in bursts, and the workers then slept on a full window
  // for 0.4-0.7 s per run; at +19 that is 0.04-0.2 s (build 1.57 -> 1.50 s).
  constexpr int kWorkerNiceness = 19;
  const std::size_t window = static_cast<std::size_t>(jobs) * kBatch * 4;
  std::mutex m;
  std::condition_variable ready;  // the consumer waits here for slot `consumed`
  std::condition_variable space;  // workers wait here for room in the window
  std::vector<std::optional<T>> slots(window);
  std::vector<int> made_by(window);                        // the worker of each slot's value
  std::vector<std::vector<T>> trash(static_cast<std::size_t>(jobs));  // consumed values, by worker
  std::size_t next = 0, consumed = 0;
  int waiting_for_space = 0;
  bool stop = false;
  std::exception_ptr error;

  // Wake-ups are targeted (notify_one, and only when someone waits for exactly
  // this): broadcasting on every item cost about a tenth of a run in futex calls.
  auto worker = [&](int self) {
    lower_this_thread_priority(kWorkerNiceness);
    std::vector<T> leftovers, done;
    for (;;) {
      std::size_t first, last;
      {
        std::unique_lock<std::mutex> lock(m);
        ++waiting_for_space;
        space.wait(lock, [&] { return stop || next >= n || next < consumed + window; });
        --waiting_for_space;
        if (stop || next >= n) return;
        first = next;
        last = std::min(std::min(n, first + kBatch), consumed + window);
        next = last;
        leftovers.swap(trash[static_cast<std::size_t>(self)]);
      }
      leftovers.clear();
      done.clear();
      bool wake_consumer = false;
      try {
        for (std::size_t i = first; i < last; ++i) done.push_back(produce(i));
        std::lock_guard<std::mutex> lock(m);
        for (std::size_t i = first; i < last; ++i) {
          slots[i % window] = std::move(done[i - first]);
          made_by[i % window] = self;
        }
        wake_consumer = consumed >= first && consumed < last;
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!error) error = std::current_exception();
        stop = true;
        wake_consumer = true;
      }
      if (wake_consumer) ready.notify_one();
      if (stop) space.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < jobs; ++t) threads.emplace_back(worker, t);
  try {
    std::optional<T> v;
    int v_made_by = 0;
    for (std::size_t i = 0; i < n; ++i) {
      bool wake_worker = false;
      {
        std::unique_lock<std::mutex> lock(m);
        if (v) trash[static_cast<std::size_t>(v_made_by)].push_back(std::move(*v));
        v.reset();
        ready.wait(lock, [&] { return stop || slots[i % window].has_value(); });
        if (!slots[i % window]) break;  // stopped by a worker's error
        v.swap(slots[i % window]);
        v_made_by = made_by[i % window];
        consumed = i + 1;
        wake_worker = waiting_for_space > 0 && next - consumed <= window / 2;  // refill in batches
      }
      if (wake_worker) space.notify_one();
      consume(i, std::move(*v));
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(m);
    if (!error) error = std::current_exception();
    stop = true;
  }
  {
    std::lock_guard<std::mutex> lock(m);
    stop = true;
  }
  space.notify_all();
  ready.notify_all();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace kms::core
