#include "issue.h"

#include <algorithm>
#include <cassert>

#include "issue_codes.h"

namespace kms::core {

void add_issue(Issues& issues, Severity s, std::string code, std::string message, int line) {
#ifndef NDEBUG
  const IssueCode* known = find_issue_code(code);
  assert(known && "an issue code missing from issue_codes.cpp");
  assert(known->severity == s && "an issue code reported with another severity than its table entry");
#endif
  issues.push_back(Issue{s, std::move(code), std::move(message), line});
}

bool has_error(const Issues& issues) {
  return std::any_of(issues.begin(), issues.end(), [](const Issue& i) { return i.severity == Severity::Error; });
}

}  // namespace kms::core
