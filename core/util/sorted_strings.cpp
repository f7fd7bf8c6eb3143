#include "sorted_strings.h"

#include <algorithm>
#include <queue>
#include <stdexcept>

#include "failure.h"

namespace kms::core {

void SortedStrings::add(std::string_view s, std::uint8_t tag) {
  if (s.size() > 0xFFFF) throw InternalError("a name of over 64 KiB");
  if (!arena_.empty() && arena_.size() + s.size() > run_bytes_) spill();
  if (arena_.capacity() < run_bytes_) arena_.reserve(run_bytes_);
  items_.push_back({static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint16_t>(s.size()), tag});
  arena_.append(s);
}

void SortedStrings::put(std::string_view s, std::uint8_t tag) {
  record_.assign(1, static_cast<char>(tag));
  record_.append(s);
  if (count_ % kBlock == 0) block_at_.push_back(sorted_->size());
  sorted_->append_record(record_);
  ++count_;
}

void SortedStrings::write_sorted_run(TempSpool& to) {
  const auto text = [&](const Item& it) { return std::string_view(arena_.data() + it.at, it.length); };
  std::sort(items_.begin(), items_.end(), [&](const Item& a, const Item& b) { return text(a) < text(b); });
  for (const Item& it : items_) {
    if (&to == sorted_.get()) {
      put(text(it), it.tag);
    } else {
      record_.assign(1, static_cast<char>(it.tag));
      record_.append(text(it));
      to.append_record(record_);
    }
  }
  items_.clear();
  arena_.clear();
}

void SortedStrings::spill() {
  if (!runs_) runs_ = std::make_unique<TempSpool>();
  const std::uint64_t at = runs_->size();
  write_sorted_run(*runs_);
  run_list_.push_back({at, runs_->size()});
  ++runs_merged_;
}

void SortedStrings::merge_runs() {
  std::vector<TempSpool::Reader> readers;
  std::vector<std::string> heads(run_list_.size());
  readers.reserve(run_list_.size());
  const auto later = [&](std::size_t a, std::size_t b) {  // min-heap on the runs' next strings
    const std::string_view x = std::string_view(heads[a]).substr(1), y = std::string_view(heads[b]).substr(1);
    return y < x || (x == y && b < a);
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> next(later);
  for (std::size_t r = 0; r < run_list_.size(); ++r) {
    readers.emplace_back(*runs_, run_list_[r].at, run_list_[r].end, 64 * 1024);
    if (readers.back().next_record(heads[r])) next.push(r);
  }
  while (!next.empty()) {
    const std::size_t r = next.top();
    next.pop();
    put(std::string_view(heads[r]).substr(1), static_cast<std::uint8_t>(heads[r][0]));
    if (readers[r].next_record(heads[r])) next.push(r);
  }
}

void SortedStrings::finish() {
  sorted_ = std::make_unique<TempSpool>();
  if (!runs_) {
    write_sorted_run(*sorted_);
  } else {
    if (!items_.empty()) spill();
    merge_runs();
    runs_.reset();
    run_list_.clear();
  }
  std::string().swap(arena_);
  std::vector<Item>().swap(items_);
  sorted_->flush();
}

SortedStrings::Block& SortedStrings::load(std::size_t number) const {
  for (Block& b : cache_) {
    if (b.number == number) {
      b.used = ++clock_;
      return b;
    }
  }
  if (cache_.size() < kCachedBlocks) cache_.emplace_back();
  Block& b =
      *std::min_element(cache_.begin(), cache_.end(), [](const Block& x, const Block& y) { return x.used < y.used; });
  const std::uint64_t end = number + 1 < block_at_.size() ? block_at_[number + 1] : sorted_->size();
  TempSpool::Reader reader(*sorted_, block_at_[number], end, 64 * 1024);
  b.strings.clear();
  b.tags.clear();
  std::string rec;
  while (reader.next_record(rec)) {
    if (rec.empty()) throw InternalError("the sorted names' temporary file is damaged");
    b.tags.push_back(static_cast<std::uint8_t>(rec[0]));
    b.strings.emplace_back(rec, 1);
  }
  b.number = number;
  b.used = ++clock_;
  return b;
}

std::pair<std::string, std::uint8_t> SortedStrings::at(std::size_t i) const {
  if (i >= count_) throw InternalError("no such name");
  std::lock_guard<std::mutex> lock(m_);
  const Block& b = load(i / kBlock);
  const std::size_t k = i % kBlock;
  if (k >= b.strings.size()) throw InternalError("the sorted names' temporary file is short");
  return {b.strings[k], b.tags[k]};
}

}  // namespace kms::core
