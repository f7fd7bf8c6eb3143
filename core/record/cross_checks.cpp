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
void reject_groups(std::vector<FileSummary>& files, KeyFn key_of, IssueId code, const char* what, bool use_line) {
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
      add_issue(f.issues, code, std::string(what) + " also in " + others, use_line ? f.mailbox_line : 0);
      reject(f);
    }
  }
}

}  // namespace

void apply_cross_file_rules(std::vector<FileSummary>& files) {
  reject_groups(
      files, [](const FileSummary& f) { return f.record_id; }, IssueId::DuplicateRecordId,
      "the same record id (names differ only in case) is", false);
  reject_groups(
      files, [](const FileSummary& f) { return f.mailbox_dn.key; }, IssueId::DuplicateMailbox, "the same MailboxDN is",
      true);
}

void CrossFileCandidates::note(std::uint32_t file, std::uint64_t record_id_key, std::uint64_t mailbox_key) {
  if (record_id_key) keys_.add({record_id_key, file, 0});
  if (mailbox_key) keys_.add({mailbox_key, file, 1});
}

void CrossFileCandidates::note(std::uint32_t file, std::string_view record_id, std::string_view mailbox_dn) {
  note(file, record_id.empty() ? 0 : ascii_ci_key(record_id), mailbox_dn.empty() ? 0 : ascii_ci_key(mailbox_dn));
}

std::vector<std::uint32_t> CrossFileCandidates::take() {
  std::vector<std::uint32_t> candidates;
  Key last{0, 0, 2};
  keys_.each_sorted([&](const Key& k) {
    if (k.kind == last.kind && k.key == last.key) {
      candidates.push_back(last.file);
      candidates.push_back(k.file);
    }
    last = k;
  });
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  return candidates;
}

std::vector<std::size_t> apply_cross_file_rules_to(std::vector<FileSummary>& group) {
  std::vector<std::size_t> before;
  for (const auto& f : group) before.push_back(f.issues.size());
  apply_cross_file_rules(group);
  std::vector<std::size_t> changed;
  for (std::size_t k = 0; k < group.size(); ++k) {
    if (group[k].issues.size() != before[k]) changed.push_back(k);
  }
  return changed;
}

}  // namespace kms::core
