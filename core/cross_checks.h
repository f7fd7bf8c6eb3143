// Checks across files: duplicate-mailbox and duplicate-record-id (legacy-store.md section 5).
#pragma once
#include <vector>

#include "file_analysis.h"

namespace kms::core {

/// Reject every file of each group that shares a MailboxDN (ASCII case-insensitive)
/// or a record id, each naming the others.
void apply_cross_file_rules(std::vector<FileSummary>& files);

}  // namespace kms::core
