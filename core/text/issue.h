// Findings about one legacy file: the issue codes of docs/legacy-store.md.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "issue_codes.h"
#include "severity.h"

namespace kms::core {

/// One finding. `line` is 1-based; 0 means the finding has no line.
/// `message` never contains a secret value (Token, EscrowedKey).
struct Issue {
  Severity severity = Severity::Error;
  std::string code;
  std::string message;
  int line = 0;
};

using Issues = std::vector<Issue>;

/// Adds an issue of code `id`, with the severity of its row of the table
/// (issue_codes.h): a code is named by IssueId, never spelt.
void add_issue(Issues& issues, IssueId id, std::string message, int line = 0);

bool has_error(const Issues& issues);

/// Whether `i` is of code `id` (codes are compared by IssueId, never spelt).
bool is(const Issue& i, IssueId id);

/// The codes of `issues`, each once, in the order first found: all of them, or
/// those of one severity, leaving out `leave_out`.
std::vector<std::string> distinct_codes(const Issues& issues, std::optional<Severity> only = std::nullopt,
                                        std::optional<IssueId> leave_out = std::nullopt);
/// The same, joined by ", " ("bad-value, unknown-key").
std::string distinct_codes_text(const Issues& issues, std::optional<Severity> only = std::nullopt,
                                std::optional<IssueId> leave_out = std::nullopt);

/// How many issues of one file every output lists (terminal, reports, the database).
inline constexpr std::size_t kListedIssues = 100;
/// Past kListedIssues, the rest become one issue, `issues-not-listed`, that
/// counts them by severity: a file of 500,000 damaged lines is one bounded
/// record in every output. Called once a file's outcome is decided.
void cap_issues(Issues& issues);

}  // namespace kms::core
