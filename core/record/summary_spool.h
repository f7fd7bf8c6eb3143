// A store's file summaries in path order, kept in a temporary file instead of
// in memory (docs/performance.md, "A million records"): appended during the one
// pass over the store, then the cross-file rules, then read back in order as
// often as a command needs, the files those rules changed given as changed.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cross_checks.h"
#include "file_analysis.h"
#include "temp_spool.h"

namespace kms::core {

class SummarySpool {
 public:
  /// Appends the next file (numbered from 0 in the order appended), with
  /// `extra` bytes the caller gets back beside it; `cross_file`: the file takes
  /// part in the cross-file rules.
  void append(const FileSummary& f, std::string_view extra = {}, bool cross_file = true);
  std::size_t size() const { return count_; }
  /// The cross-file rules (cross_checks.h) over every file appended; returns the
  /// numbers of the files whose summaries they changed.
  std::vector<std::size_t> apply_cross_file_rules();

  using Visit = std::function<void(std::size_t, FileSummary&, std::string_view extra)>;
  /// Every file in order, as changed by apply_cross_file_rules().
  void each(const Visit& visit);
  /// Only files whose number `wanted(i)` accepts are decoded and visited.
  void each(const std::function<bool(std::size_t)>& wanted, const Visit& visit);

 private:
  TempSpool spool_;
  CrossFileCandidates candidates_;
  std::map<std::size_t, FileSummary> changed_;
  std::size_t count_ = 0;
  std::string buffer_;
};

}  // namespace kms::core
