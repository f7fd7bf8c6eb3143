// Page one of the sign-off report (docs/reports.md): what a manager reads and
// signs. The verdict with the decision, the facts, the counts, the findings
// by code with what each means and what to do, the next steps and the
// signature block. The lists of files follow as appendices (report_html.cpp).
#pragma once
#include <cstddef>
#include <map>
#include <string>

#include "report.h"

namespace kms::core {

/// Files per issue code, with their severity ("error", "warning", "info").
using CodeCounts = std::map<std::string, std::size_t>;

/// The verdict: its tone ("ok", "warn" or "bad") and its sentence.
std::pair<const char*, std::string> html_verdict(const RunReport& r);
std::string html_facts(const RunReport& r);
std::string html_counts(const RunReport& r);
/// The findings by code: errors, then warnings, then notes; with `limit`, its
/// first rows and how many more (page one), else every one (the appendix).
std::string html_codes(const CodeCounts& files_by_code, std::size_t limit, const char* id);
/// How many codes page one lists before it sends the reader to the appendix.
inline constexpr std::size_t kPageOneCodes = 6;
std::string html_next_steps(const RunReport& r);
std::string html_signature(const RunReport& r);

}  // namespace kms::core
