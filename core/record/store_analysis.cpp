#include "store_analysis.h"

#include "ordered_pipeline.h"

namespace kms::core {

StoreAnalysis analyze_store(const StoreDir& clients, const PassSettings& s) {
  StoreAnalysis a;
  a.clients = clients.path();
  a.entries = list_names(clients, s.cancel);
  a.files = std::make_unique<SummarySpool>();
  std::function<FileSummary(std::size_t)> produce = [&](std::size_t i) {
    throw_if_cancelled(s.cancel);
    AnalyzedFile f = analyze_entry(clients, a.entries.entry(i), s.max_record_bytes, s.now, s.cancel);
    if (f.record && s.digest) f.summary.written_digest = s.digest(*f.record);
    return std::move(f.summary);
  };
  std::function<void(std::size_t, FileSummary &&)> consume = [&](std::size_t i, FileSummary&& f) {
    a.files->append(f);
    if (s.progress) s.progress("reading", i + 1, a.entries.size());
  };
  for_each_ordered(a.entries.size(), s.workers, produce, consume);
  a.files->apply_cross_file_rules();
  return a;
}

}  // namespace kms::core
