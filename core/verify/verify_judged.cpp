#include "verify_judged.h"

#include <stdexcept>

#include "failure.h"
#include "summary_codec.h"

namespace kms::core::detail {
namespace {

enum Flag : std::uint64_t { kGone = 1, kArchive = 2, kChanged = 4, kPresent = 8, kRead = 16, kDigest = 32 };

void put_list(std::string& out, const std::vector<std::string>& v) {
  put_u64(out, v.size());
  for (const auto& s : v) put_text(out, s);
}

std::vector<std::string> get_list(std::string_view& in) {
  std::vector<std::string> v(get_u64(in));
  for (auto& s : v) s = get_text(in);
  return v;
}

}  // namespace

std::string encode_judged_extra(const Judged& j) {
  std::uint64_t flags = 0;
  if (j.gone) flags |= kGone;
  if (j.in_archive) flags |= kArchive;
  if (j.source_changed) flags |= kChanged;
  if (j.client_present) flags |= kPresent;
  if (j.client_read) flags |= kRead;
  if (j.stored_digest) flags |= kDigest;
  std::string out;
  put_u64(out, flags);
  put_text(out, j.archived_outcome);
  put_list(out, j.archive_diffs);
  put_issues(out, j.client_issues);
  put_list(out, j.report_diffs);
  if (j.stored_digest) put_digest(out, *j.stored_digest);
  return out;
}

void decode_judged_extra(std::string_view in, Judged& j) {
  const std::uint64_t flags = get_u64(in);
  j.gone = flags & kGone;
  j.in_archive = flags & kArchive;
  j.source_changed = flags & kChanged;
  j.client_present = flags & kPresent;
  j.client_read = flags & kRead;
  j.archived_outcome = get_text(in);
  j.archive_diffs = get_list(in);
  j.client_issues = get_issues(in);
  j.report_diffs = get_list(in);
  if (flags & kDigest) j.stored_digest = get_digest(in);
  if (!in.empty()) throw InternalError("a spooled verdict has bytes past its end");
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// The final verdict on one path, once the cross-file rules have given every file its outcome.
Verification judge(Judged& j) {
  FileSummary& f = j.f;
  if (j.gone) return Verification::Failed;
  Issues found;
  const auto error = [&](IssueId id, std::string msg) { add_issue(found, id, std::move(msg)); };
  if (!j.in_archive) {
    error(IssueId::MissingInTarget, "this file is not in the database (added to the store after the upgrade?)");
  } else if (j.source_changed) {
    error(IssueId::SourceChanged, "the file's bytes differ from those archived at upgrade time");
  } else {
    if (j.archived_outcome != outcome_name(f.outcome)) {
      error(IssueId::FieldMismatch,
            "legacy_files says '" + j.archived_outcome + "'; the file as read now is " + outcome_name(f.outcome));
    }
    if (!j.archive_diffs.empty())
      error(IssueId::FieldMismatch, "legacy_files differs from the file in: " + joined(j.archive_diffs));
  }
  if (expects_client(f.outcome)) {
    if (!j.client_present) {
      if (j.in_archive && !j.source_changed)
        error(IssueId::MissingInTarget, "no client " + f.record_id + " in the database");
    } else if (j.client_read && !j.source_changed) {
      found.insert(found.end(), j.client_issues.begin(), j.client_issues.end());
    }
  } else if (j.client_present) {
    error(IssueId::UnexpectedInTarget,
          "the database holds client " + f.record_id + " though this file is " + outcome_name(f.outcome));
  }
  if (!j.report_diffs.empty()) {
    error(IssueId::FieldMismatch,
          j.report_diffs == std::vector<std::string>{"row"}
              ? "migration_report has no row for this file"
              : "migration_report differs from what the file implies in: " + joined(j.report_diffs));
  }
  const bool failed = !found.empty();
  f.issues.insert(f.issues.end(), found.begin(), found.end());
  if (failed) return Verification::Failed;
  return expects_client(f.outcome) ? Verification::Passed : Verification::NotApplicable;
}

}  // namespace kms::core::detail
