#include "cross_checks.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "text_util.h"

namespace kms::core {
namespace {

void reject(FileSummary& f) {
  f.outcome = RecordOutcome::Rejected;
  f.state.reset();
}

constexpr std::size_t kNamedOthers = 3;

template <typename KeyFn>
void reject_groups(std::vector<FileSummary>& files, KeyFn key_of, const char* code, const char* what, bool use_line) {
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string key = key_of(files[i]);
    if (!key.empty()) groups[key].push_back(i);
  }
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    for (std::size_t i : members) {
      // A few of the others by name, then their number: 5,000 files sharing one DN
      // must not give 5,000 messages of 5,000 names each.
      std::string others;
      std::size_t named = 0;
      for (std::size_t j : members) {
        if (j == i || named == kNamedOthers) continue;
        others += (others.empty() ? "" : ", ") + files[j].path;
        ++named;
      }
      if (members.size() - 1 > named) {
        others += " and " + std::to_string(members.size() - 1 - named) + " more (" + std::to_string(members.size()) +
                  " files in all; each is listed in the report with this code)";
      }
      FileSummary& f = files[i];
      add_issue(f.issues, Severity::Error, code, std::string(what) + " also in " + others,
                use_line ? f.mailbox_line : 0);
      reject(f);
    }
  }
}

}  // namespace

void apply_cross_file_rules(std::vector<FileSummary>& files) {
  reject_groups(
      files, [](const FileSummary& f) { return f.record_id; }, "duplicate-record-id",
      "the same record id (names differ only in case) is", false);
  reject_groups(
      files, [](const FileSummary& f) { return to_lower_ascii(f.mailbox_dn); }, "duplicate-mailbox",
      "the same MailboxDN is", true);
}

std::vector<std::size_t> apply_cross_file_rules_in_place(const std::vector<FileSummary*>& files) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;  // key, file
  std::vector<std::uint32_t> candidates;
  const auto collect = [&](auto key_of) {  // key_of(f): 0 for none
    keyed.clear();
    for (std::uint32_t i = 0; i < files.size(); ++i) {
      if (const std::uint64_t k = key_of(*files[i])) keyed.emplace_back(k, i);
    }
    std::sort(keyed.begin(), keyed.end());
    for (std::size_t k = 1; k < keyed.size(); ++k) {
      if (keyed[k].first != keyed[k - 1].first) continue;
      candidates.push_back(keyed[k - 1].second);
      candidates.push_back(keyed[k].second);
    }
  };
  collect([](const FileSummary& f) { return f.record_id.empty() ? 0 : ascii_ci_key(f.record_id); });
  collect([](const FileSummary& f) { return f.mailbox_dn.empty() ? 0 : ascii_ci_key(f.mailbox_dn); });
  std::vector<std::size_t> changed;
  if (candidates.empty()) return changed;
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<FileSummary> group;
  for (std::uint32_t i : candidates) group.push_back(*files[i]);
  apply_cross_file_rules(group);  // the exact rules, on the files that may break them
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    FileSummary& f = *files[candidates[k]];
    if (group[k].issues.size() == f.issues.size()) continue;  // a hash collision, not a duplicate
    f = std::move(group[k]);
    changed.push_back(candidates[k]);
  }
  return changed;
}

}  // namespace kms::core
