#include "summary_spool.h"

#include <algorithm>

#include "summary_codec.h"

namespace kms::core {

void SummarySpool::append(const FileSummary& f, std::string_view extra, bool cross_file) {
  if (cross_file) candidates_.note(static_cast<std::uint32_t>(count_), f.record_id, f.mailbox_dn.key);
  buffer_.clear();
  encode_summary(buffer_, f);
  put_text(buffer_, extra);
  spool_.append_record(buffer_);
  ++count_;
}

void SummarySpool::each(const std::function<bool(std::size_t)>& wanted, const Visit& visit) {
  TempSpool::Reader reader(spool_);
  std::string record;
  for (std::size_t i = 0; reader.next_record(record); ++i) {
    if (!wanted(i)) continue;
    std::string_view in(record);
    FileSummary f = decode_summary(in);
    const std::string extra = get_text(in);
    if (const auto it = changed_.find(i); it != changed_.end()) f = it->second;
    visit(i, f, extra);
  }
}

void SummarySpool::each(const Visit& visit) {
  each([](std::size_t) { return true; }, visit);
}

std::vector<std::size_t> SummarySpool::apply_cross_file_rules() {
  const std::vector<std::uint32_t> candidates = candidates_.take();
  std::vector<std::size_t> changed;
  if (candidates.empty()) return changed;
  std::vector<FileSummary> group;
  each([&](std::size_t i) { return std::binary_search(candidates.begin(), candidates.end(), i); },
       [&](std::size_t, FileSummary& f, std::string_view) { group.push_back(std::move(f)); });
  for (std::size_t k : apply_cross_file_rules_to(group)) {
    changed_[candidates[k]] = std::move(group[k]);
    changed.push_back(candidates[k]);
  }
  return changed;
}

}  // namespace kms::core
