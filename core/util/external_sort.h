// Sorting more fixed-size items than should be held in memory: runs of
// `run_items` are sorted in memory and written to a TempSpool, then merged.
// Memory: one run, plus a read buffer per run while merging. A sort that fits
// in one run never touches the disk.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <queue>
#include <type_traits>
#include <vector>

#include "temp_spool.h"

namespace kms::core {

template <typename T>
class ExternalSort {
  static_assert(std::is_trivially_copyable_v<T>, "items are written to a file as bytes");

 public:
  explicit ExternalSort(std::size_t run_items = 1 << 16) : run_items_(std::max<std::size_t>(run_items, 2)) {}

  void add(const T& item) {
    if (run_.size() == run_items_) spill();
    if (run_.capacity() == 0) run_.reserve(run_items_);
    run_.push_back(item);
  }
  std::uint64_t size() const { return spilled_ + run_.size(); }

  /// Calls f(item) for every item added, in ascending order (operator<); then empty.
  template <typename F>
  void each_sorted(F f) {
    std::sort(run_.begin(), run_.end());
    if (!spool_) {
      for (const T& t : run_) f(t);
    } else {
      merge(f);
    }
    std::vector<T>().swap(run_);
    spool_.reset();
    runs_.clear();
    spilled_ = 0;
  }

 private:
  struct Run {
    std::uint64_t at, end;
  };

  void spill() {
    std::sort(run_.begin(), run_.end());
    if (!spool_) spool_ = std::make_unique<TempSpool>();
    const std::uint64_t at = spool_->size();
    spool_->append(run_.data(), run_.size() * sizeof(T));
    runs_.push_back({at, spool_->size()});
    spilled_ += run_.size();
    run_.clear();
  }

  template <typename F>
  void merge(F f) {
    if (!run_.empty()) spill();
    std::vector<T>().swap(run_);  // the merge needs only the readers' buffers
    std::vector<TempSpool::Reader> readers;
    readers.reserve(runs_.size());
    using Head = std::pair<T, std::size_t>;  // the run's next item, the run
    const auto later = [](const Head& a, const Head& b) { return b.first < a.first; };
    std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
    for (std::size_t r = 0; r < runs_.size(); ++r) {
      readers.emplace_back(*spool_, runs_[r].at, runs_[r].end, kMergeBuffer);
      T t;
      if (readers.back().read(&t, sizeof t)) heads.push({t, r});
    }
    while (!heads.empty()) {
      const Head h = heads.top();
      heads.pop();
      f(h.first);
      T t;
      if (readers[h.second].read(&t, sizeof t)) heads.push({t, h.second});
    }
  }

  static constexpr std::size_t kMergeBuffer = 16 * 1024;  // per run while merging
  std::size_t run_items_;
  std::vector<T> run_;
  std::unique_ptr<TempSpool> spool_;
  std::vector<Run> runs_;
  std::uint64_t spilled_ = 0;
};

}  // namespace kms::core
