// The terminal view of `scan` (the JSON view is core::scan_json).
#pragma once
#include <cstdio>

#include "scan_command.h"

namespace kms::cli {

void print_scan(std::FILE* out, const core::ScanOptions& options, const core::ScanResult& result);

}  // namespace kms::cli
