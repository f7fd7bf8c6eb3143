// Work on N workers, results consumed in input order on the calling thread.
#pragma once
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "failure.h"
#include "thread_priority.h"

namespace kms::core {

/// How for_each_ordered runs (docs/performance.md has the measurements behind the defaults).
struct OrderedOptions {
  int jobs = 1;           ///< worker threads; below 1, or fewer than 2 items: all on the caller's thread
  std::size_t batch = 8;  ///< items a worker claims and publishes at once (one wake-up of the caller per batch)
  std::size_t window_per_job = 32;  ///< results that may wait per worker: memory stays bounded
  /// Added to the workers' nice value (0: unchanged). The upgrade's workers
  /// yield the core to its one serial stage, the writer on the caller's thread.
  int worker_niceness = 0;
};

namespace detail {

/// The shared state of one for_each_ordered. Wake-ups are targeted (notify_one,
/// and only when someone waits for exactly that), not broadcast on every item.
template <typename T>
class OrderedRun {
 public:
  OrderedRun(std::size_t n, const OrderedOptions& o, const std::function<T(std::size_t)>& produce)
      : n_(n),
        o_(o),
        window_(static_cast<std::size_t>(o.jobs) * o.window_per_job),
        produce_(produce),
        slots_(window_),
        made_by_(window_),
        trash_(static_cast<std::size_t>(o.jobs)) {}

  void work(int self) {
    if (o_.worker_niceness != 0) lower_this_thread_priority(o_.worker_niceness);
    std::vector<T> leftovers, done;
    for (;;) {
      std::size_t first, last;
      {
        std::unique_lock<std::mutex> lock(m_);
        ++waiting_for_space_;
        space_.wait(lock, [&] { return stop_ || next_ >= n_ || next_ < consumed_ + window_; });
        --waiting_for_space_;
        if (stop_ || next_ >= n_) return;
        first = next_;
        last = std::min(std::min(n_, first + o_.batch), consumed_ + window_);
        next_ = last;
        leftovers.swap(trash_[static_cast<std::size_t>(self)]);
      }
      leftovers.clear();  // freed on the thread whose arena they came from
      done.clear();
      publish(self, first, last, done);
    }
  }

  /// consume(i, value) for i = 0 .. n-1 in order, on the caller's thread.
  void consume_all(const std::function<void(std::size_t, T&&)>& consume) {
    try {
      std::optional<T> v;
      int v_made_by = 0;
      for (std::size_t i = 0; i < n_; ++i) {
        bool wake_worker = false;
        {
          std::unique_lock<std::mutex> lock(m_);
          if (v) trash_[static_cast<std::size_t>(v_made_by)].push_back(std::move(*v));
          v.reset();
          ready_.wait(lock, [&] { return stop_ || slots_[i % window_].has_value(); });
          if (!slots_[i % window_]) break;  // stopped by a worker's error
          v.swap(slots_[i % window_]);
          v_made_by = made_by_[i % window_];
          consumed_ = i + 1;
          wake_worker = waiting_for_space_ > 0 && next_ - consumed_ <= window_ / 2;  // refill in batches
        }
        if (wake_worker) space_.notify_one();
        consume(i, std::move(*v));
      }
    } catch (...) {
      fail(std::current_exception());
    }
  }

  /// Stops the workers (they return at their next claim) and wakes every waiter.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    space_.notify_all();
    ready_.notify_all();
  }

  void rethrow_first_error() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void publish(int self, std::size_t first, std::size_t last, std::vector<T>& done) {
    bool wake_consumer = false;
    try {
      for (std::size_t i = first; i < last; ++i) done.push_back(produce_(i));
      std::lock_guard<std::mutex> lock(m_);
      for (std::size_t i = first; i < last; ++i) {
        slots_[i % window_] = std::move(done[i - first]);
        made_by_[i % window_] = self;
      }
      wake_consumer = consumed_ >= first && consumed_ < last;
    } catch (...) {
      fail(std::current_exception());
      wake_consumer = true;
    }
    if (wake_consumer) ready_.notify_one();
    if (stopped()) space_.notify_all();
  }

  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(m_);
    if (!error_) error_ = std::move(e);
    stop_ = true;
  }

  bool stopped() {
    std::lock_guard<std::mutex> lock(m_);
    return stop_;
  }

  const std::size_t n_;
  const OrderedOptions o_;
  const std::size_t window_;
  const std::function<T(std::size_t)>& produce_;
  std::mutex m_;
  std::condition_variable ready_;  // the consumer waits here for slot `consumed_`
  std::condition_variable space_;  // workers wait here for room in the window
  std::vector<std::optional<T>> slots_;
  std::vector<int> made_by_;           // the worker of each slot's value
  std::vector<std::vector<T>> trash_;  // consumed values, by worker
  std::size_t next_ = 0, consumed_ = 0;
  int waiting_for_space_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace detail

/// produce(i) runs on up to `o.jobs` threads; consume(i, value) runs on the
/// caller's thread for i = 0, 1, ... n-1 in order. The first exception stops the
/// work and is rethrown here. What consume leaves in a value is destroyed on the
/// worker that produced it: the memory came from that thread's malloc arena, and
/// freeing it on any other thread contended for the arena's lock.
template <typename T>
void for_each_ordered(std::size_t n, const OrderedOptions& o, const std::function<T(std::size_t)>& produce,
                      const std::function<void(std::size_t, T&&)>& consume) {
  if (o.jobs < 1 || n < 2) {
    for (std::size_t i = 0; i < n; ++i) consume(i, produce(i));
    return;
  }
  detail::OrderedRun<T> run(n, o, produce);
  std::vector<std::thread> threads;
  try {
    for (int t = 0; t < o.jobs; ++t) threads.emplace_back([&run, t] { run.work(t); });
  } catch (const std::system_error& e) {
    // No thread to be had (ulimit -u, ulimit -v): the ones started stop, and it is a system error.
    run.stop();
    for (auto& t : threads) t.join();
    throw SystemError("start worker thread " + std::to_string(threads.size() + 1) + " of " + std::to_string(o.jobs), "",
                      e.code().value());
  }
  run.consume_all(consume);
  run.stop();
  for (auto& t : threads) t.join();
  run.rethrow_first_error();
}

/// The same with the default options and `jobs` workers.
template <typename T>
void for_each_ordered(std::size_t n, int jobs, const std::function<T(std::size_t)>& produce,
                      const std::function<void(std::size_t, T&&)>& consume) {
  OrderedOptions o;
  o.jobs = jobs;
  for_each_ordered(n, o, produce, consume);
}

}  // namespace kms::core
