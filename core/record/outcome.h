// What became of a file (its outcome, from the rules) and of its written record
// (its verification), and the counts of a run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "file_analysis.h"

namespace kms::core {

enum class Verification : std::uint8_t { Passed, Failed, NotApplicable };
const char* verification_name(Verification v);

struct Counts {
  std::size_t files_seen = 0, migrated = 0, normalized = 0, rejected = 0, skipped = 0;
  std::size_t verified_passed = 0, verified_failed = 0;
};

/// Whether a file of this outcome has a client in the database (migrated or normalized).
bool expects_client(RecordOutcome o);

/// Adds one file to the counts.
void count_file(Counts& c, RecordOutcome outcome, std::optional<Verification> v);

/// The verification of a file that has none of its own: not-applicable for rejected and skipped files.
std::optional<Verification> effective_verification(const FileSummary& f, std::optional<Verification> v);

}  // namespace kms::core
