// The terminal view of `scan` (the JSON view is core::write_scan_json).
#pragma once
#include <cstdio>

#include "scan_command.h"

namespace kms::cli {

/// How much of the scan to show: --quiet (the status line only), --summary
/// (with --mailbox: the inventory too), --all (every line of each list).
struct ScanView {
  bool quiet = false;
  bool summary = false;
  bool all = false;
};

/// The inventory (without --mailbox, or with --summary), the mailbox's files,
/// then the closing status line, last.
/// The inventory or the matches on `out`; the status line last, on `trouble`
/// when the scan failed (exit 1: a store it cannot vouch for, no match).
void print_scan(std::FILE* out, std::FILE* trouble, const core::ScanOptions& options, const core::ScanResult& result,
                const ScanView& view);

}  // namespace kms::cli
