// Many short strings (a folder's names), each with a one-byte tag, sorted
// bytewise and kept in a temporary file instead of in memory: runs (4 MiB
// unless told) are sorted in memory and merged on disk; afterwards string `i` is read back
// with its block of 1,024, a few blocks cached. What a store of a million
// files keeps of its listing is then a few hundred kilobytes.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "temp_spool.h"

namespace kms::core {

class SortedStrings {
 public:
  static constexpr std::size_t kDefaultRunBytes = 4 << 20;
  /// `run_bytes`: how much of the strings is sorted in memory before a run is
  /// written out (a test makes it small to merge many runs of few names).
  explicit SortedStrings(std::size_t run_bytes = kDefaultRunBytes) : run_bytes_(run_bytes) {}
  SortedStrings(const SortedStrings&) = delete;
  SortedStrings& operator=(const SortedStrings&) = delete;

  /// While building: one more string (at most 64 KiB).
  void add(std::string_view s, std::uint8_t tag);
  /// Sorts what was added; then at() may be called, from any thread.
  void finish();
  std::size_t size() const { return count_; }
  /// How many sorted runs finish() merged (0: all fitted in memory).
  std::size_t runs_merged() const { return runs_merged_; }
  /// String `i` in sorted order, and its tag.
  std::pair<std::string, std::uint8_t> at(std::size_t i) const;

 private:
  static constexpr std::size_t kBlock = 1024;
  static constexpr std::size_t kCachedBlocks = 4;
  struct Item {
    std::uint32_t at;
    std::uint16_t length;
    std::uint8_t tag;
  };
  struct Run {
    std::uint64_t at, end;
  };
  struct Block {
    std::size_t number = SIZE_MAX;
    std::uint64_t used = 0;  // for least-recently-used replacement
    std::vector<std::string> strings;
    std::vector<std::uint8_t> tags;
  };

  void spill();
  void write_sorted_run(TempSpool& to);
  void merge_runs();
  void put(std::string_view s, std::uint8_t tag);
  Block& load(std::size_t number) const;

  // Building.
  const std::size_t run_bytes_;
  std::string arena_;
  std::vector<Item> items_;
  std::unique_ptr<TempSpool> runs_;
  std::vector<Run> run_list_;
  // Built: records of [tag][string], and where each block of kBlock starts.
  std::unique_ptr<TempSpool> sorted_;
  std::vector<std::uint64_t> block_at_;
  std::size_t count_ = 0;
  std::size_t runs_merged_ = 0;
  std::string record_;
  mutable std::mutex m_;
  mutable std::vector<Block> cache_;
  mutable std::uint64_t clock_ = 0;
};

}  // namespace kms::core
