// The first pass every command shares: locate Clients, list it, analyse
// every entry (in parallel, in order), apply the cross-file rules.
#pragma once
#include <array>
#include <ctime>
#include <functional>
#include <memory>
#include <vector>

#include "file_analysis.h"
#include "ordered_pipeline.h"
#include "run_control.h"
#include "store_walker.h"
#include "summary_spool.h"

namespace kms::core {

/// The pass's result: the listing, and every file's summary (cross-file rules
/// applied) in a temporary file, not in memory.
struct StoreAnalysis {
  std::filesystem::path clients;
  StoreListing entries;
  std::unique_ptr<SummarySpool> files;  ///< one per entry, in its order
};

/// How a pass over the store runs: limits, clock, threads, cancel and progress.
struct PassSettings {
  std::int64_t max_record_bytes = 1 << 20;
  std::time_t now = 0;     ///< decides certificate-expired
  OrderedOptions workers;  ///< the pass's threads (for_each_ordered)
  const CancelFlag* cancel = nullptr;
  ProgressFn progress;
  /// When set, each valid record's digest goes to its summary's written_digest
  /// (scan: for the content_digest an upgrade of this store would record).
  std::function<std::array<std::uint8_t, 32>(const ClientRecord&)> digest;
};

/// Lists `clients` and analyses every entry. Throws SystemError when
/// the folder cannot be listed, a Stop of kind Cancelled when asked to stop.
StoreAnalysis analyze_store(const StoreDir& clients, const PassSettings& s);

}  // namespace kms::core
