// Checks across files: duplicate-mailbox and duplicate-record-id (docs/legacy-store.md section 5).
#pragma once
#include <vector>

#include "file_analysis.h"

namespace kms::core {

/// Reject every file of each group that shares a MailboxDN (ASCII case-insensitive)
/// or a record id, each naming the others.
void apply_cross_file_rules(std::vector<FileSummary>& files);

/// The same rules over many files, in place: the files that share a record id
/// or a MailboxDN key with another are found by sorting 64-bit keys (no map of
/// every name), and apply_cross_file_rules() runs on those few alone.
/// Returns the indices (into `files`) of the files it changed.
std::vector<std::size_t> apply_cross_file_rules_in_place(const std::vector<FileSummary*>& files);

}  // namespace kms::core
