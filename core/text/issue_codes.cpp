#include "issue_codes.h"

namespace kms::core {

const std::vector<IssueCode>& issue_codes() {
  using S = Severity;
  using Where = IssueScope;
  static const std::vector<IssueCode> table = {
      {"unreadable", S::Error, Where::File, false, false},
      {"symlink", S::Error, Where::File, true, false},
      {"empty-file", S::Error, Where::File, true, false},
      {"too-large", S::Error, Where::File, true, false},
      {"bad-encoding", S::Error, Where::File, true, false},
      {"binary-content", S::Error, Where::File, true, true},
      {"malformed-line", S::Error, Where::File, true, true},
      {"wrapped-value", S::Error, Where::File, true, true},
      {"truncated", S::Error, Where::File, true, true},
      {"missing-section", S::Error, Where::File, true, false},
      {"missing-key", S::Error, Where::File, true, false},
      {"bad-value", S::Error, Where::File, true, true},
      {"count-mismatch", S::Error, Where::File, true, true},
      {"bad-certificate", S::Error, Where::File, true, true},
      {"serial-mismatch", S::Error, Where::File, true, true},
      {"bad-key-blob", S::Error, Where::File, true, true},
      {"inconsistent-state", S::Error, Where::File, true, true},
      {"ambiguous-recovery", S::Error, Where::File, true, true},
      {"duplicate-mailbox", S::Error, Where::Store, true, true},
      {"duplicate-record-id", S::Error, Where::Store, true, false},
      {"duplicate-key", S::Warning, Where::File, true, true},
      {"duplicate-section", S::Warning, Where::File, true, true},
      {"key-outside-section", S::Warning, Where::File, true, true},
      {"unknown-key", S::Warning, Where::File, true, true},
      {"bad-timestamp", S::Warning, Where::File, true, true},
      {"revoked-without-date", S::Warning, Where::File, true, true},
      {"unassigned-cp1252-byte", S::Warning, Where::File, true, true},
      {"recovery-never-enrolled", S::Warning, Where::File, true, true},
      {"number-read-leniently", S::Warning, Where::File, true, true},
      {"token-length", S::Warning, Where::File, true, true},
      {"comment-bad-encoding", S::Warning, Where::File, true, true},
      {"decoded-as-utf8", S::Info, Where::File, true, true},
      {"certificate-expired", S::Info, Where::File, true, true},
      {"not-a-record", S::Info, Where::File, true, false},
      {"field-mismatch", S::Error, Where::Run, false, false},
      {"missing-in-target", S::Error, Where::Run, false, false},
      {"unexpected-in-target", S::Error, Where::Run, false, false},
      {"source-changed", S::Error, Where::Run, false, false},
  };
  return table;
}

const IssueCode* find_issue_code(std::string_view name) {
  for (const auto& c : issue_codes()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace kms::core
