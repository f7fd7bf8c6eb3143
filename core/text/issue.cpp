#include "issue.h"

#include <algorithm>

#include "issue_codes.h"

namespace kms::core {

bool is(const Issue& i, IssueId id) { return i.code == issue_code(id).name; }

void add_issue(Issues& issues, IssueId id, std::string message, int line) {
  const IssueCode& c = issue_code(id);
  issues.push_back(Issue{c.severity, std::string(c.name), std::move(message), line});
}

std::vector<std::string> distinct_codes(const Issues& issues, std::optional<Severity> only,
                                        std::optional<IssueId> leave_out) {
  std::vector<std::string> codes;
  for (const Issue& i : issues) {
    if ((only && i.severity != *only) || (leave_out && is(i, *leave_out))) continue;
    if (std::find(codes.begin(), codes.end(), i.code) == codes.end()) codes.push_back(i.code);
  }
  return codes;
}

std::string distinct_codes_text(const Issues& issues, std::optional<Severity> only, std::optional<IssueId> leave_out) {
  std::string out;
  for (const auto& c : distinct_codes(issues, only, leave_out)) out += (out.empty() ? "" : ", ") + c;
  return out;
}

void cap_issues(Issues& issues) {
  if (issues.size() <= kListedIssues) return;
  std::size_t errors = 0, warnings = 0;
  for (std::size_t i = kListedIssues; i < issues.size(); ++i) {
    errors += issues[i].severity == Severity::Error;
    warnings += issues[i].severity == Severity::Warning;
  }
  const std::size_t more = issues.size() - kListedIssues;
  issues.resize(kListedIssues);
  add_issue(issues, IssueId::IssuesNotListed,
            std::to_string(more) + " more issue(s) of this file not listed (" + std::to_string(errors) + " error(s), " +
                std::to_string(warnings) + " warning(s), " + std::to_string(more - errors - warnings) +
                " note(s)): every output lists the first " + std::to_string(kListedIssues));
}

bool has_error(const Issues& issues) {
  return std::any_of(issues.begin(), issues.end(), [](const Issue& i) { return i.severity == Severity::Error; });
}

}  // namespace kms::core
