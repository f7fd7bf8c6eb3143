// Internal to verify (verify_command.cpp, verify_rows.cpp): what verify found for one path during its
// pass, kept in a SummarySpool (its FileSummary there, the rest as the spooled
// extra bytes), and the verdict on it once the cross-file rules have run.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content_digest.h"
#include "file_analysis.h"
#include "outcome.h"

namespace kms::core::detail {

/// What verify found for one path, before the cross-file rules decide the final outcomes.
struct Judged {
  FileSummary f;            ///< as derived from the store (for a gone file: as the database holds it)
  bool gone = false;        ///< in the database, not in the store
  bool in_archive = false;  ///< legacy_files has the path
  bool source_changed = false;
  std::string archived_outcome;
  std::vector<std::string> archive_diffs;  ///< legacy_files columns that differ from the file
  bool client_present = false;
  bool client_read = false;                   ///< compared field by field (the outcome expected a client)
  Issues client_issues;                       ///< what that comparison found
  std::vector<std::string> report_diffs;      ///< migration_report columns that differ (["row"]: no row)
  std::optional<RecordDigest> stored_digest;  ///< of its client as stored, for content_digest
};

/// Everything of `j` but its FileSummary, as bytes, and back.
std::string encode_judged_extra(const Judged& j);
void decode_judged_extra(std::string_view in, Judged& j);

/// "a, b, c".
std::string joined(const std::vector<std::string>& v);

/// The final verdict on one path; its issues are added to j.f.
Verification judge(Judged& j);

}  // namespace kms::core::detail
