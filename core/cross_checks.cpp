#include "cross_checks.h"

#include <map>

#include "text_util.h"

namespace kms::core {
namespace {

void reject(FileSummary& f) {
  f.outcome = RecordOutcome::Rejected;
  f.state.reset();
}

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
      std::string others;
      for (std::size_t j : members) {
        if (j == i) continue;
        others += (others.empty() ? "" : ", ") + files[j].path;
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

}  // namespace kms::core
