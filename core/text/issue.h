// Findings about one legacy file: the issue codes of docs/legacy-store.md.
#pragma once
#include <string>
#include <vector>

namespace kms::core {

enum class Severity { Error, Warning, Info };

/// One finding. `line` is 1-based; 0 means the finding has no line.
/// `message` never contains a secret value (Token, EscrowedKey).
struct Issue {
  Severity severity = Severity::Error;
  std::string code;
  std::string message;
  int line = 0;
};

using Issues = std::vector<Issue>;

const char* severity_name(Severity s);

inline void add_issue(Issues& issues, Severity s, std::string code, std::string message, int line = 0) {
  issues.push_back(Issue{s, std::move(code), std::move(message), line});
}

bool has_error(const Issues& issues);

}  // namespace kms::core
