// What became of a file (its outcome, from the rules) and of its written record
// (its verification), and the counts of a run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kms::core {

/// What became of a file: migrated as read, normalized (KB Q198709),
/// rejected (an error of its own or of the cross-file rules), or skipped (not
/// a record file: never read).
enum class RecordOutcome : std::uint8_t { Migrated, Normalized, Rejected, Skipped };
const char* outcome_name(RecordOutcome o);
/// The inverse of outcome_name; nullopt for any other text.
std::optional<RecordOutcome> outcome_from_name(std::string_view name);

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

}  // namespace kms::core
