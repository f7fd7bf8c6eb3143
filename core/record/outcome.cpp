#include "outcome.h"

namespace kms::core {

const char* verification_name(Verification v) {
  switch (v) {
    case Verification::Passed:
      return "passed";
    case Verification::Failed:
      return "failed";
    case Verification::NotApplicable:
      return "not-applicable";
  }
  return "failed";
}

bool expects_client(RecordOutcome o) { return o == RecordOutcome::Migrated || o == RecordOutcome::Normalized; }

void count_file(Counts& c, RecordOutcome outcome, std::optional<Verification> v) {
  ++c.files_seen;
  switch (outcome) {
    case RecordOutcome::Migrated:
      ++c.migrated;
      break;
    case RecordOutcome::Normalized:
      ++c.normalized;
      break;
    case RecordOutcome::Rejected:
      ++c.rejected;
      break;
    case RecordOutcome::Skipped:
      ++c.skipped;
      break;
  }
  if (v == Verification::Passed) ++c.verified_passed;
  if (v == Verification::Failed) ++c.verified_failed;
}

std::optional<Verification> effective_verification(const FileSummary& f, std::optional<Verification> v) {
  if (v) return v;
  if (f.outcome == RecordOutcome::Rejected || f.outcome == RecordOutcome::Skipped) return Verification::NotApplicable;
  return std::nullopt;
}

}  // namespace kms::core
