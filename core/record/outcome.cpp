#include "outcome.h"

namespace kms::core {

const char* outcome_name(RecordOutcome o) {
  switch (o) {
    case RecordOutcome::Migrated:
      return "migrated";
    case RecordOutcome::Normalized:
      return "normalized";
    case RecordOutcome::Rejected:
      return "rejected";
    case RecordOutcome::Skipped:
      return "skipped";
  }
  return "rejected";
}

std::optional<RecordOutcome> outcome_from_name(std::string_view name) {
  for (RecordOutcome o :
       {RecordOutcome::Migrated, RecordOutcome::Normalized, RecordOutcome::Rejected, RecordOutcome::Skipped}) {
    if (name == outcome_name(o)) return o;
  }
  return std::nullopt;
}

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

}  // namespace kms::core
