// `scan --json`: the whole scan as one JSON document (docs/commands.md).
#pragma once
#include <string>

#include "scan_command.h"

namespace kms::core {

/// Tokens are masked; key blobs and the values of unknown keys are never
/// included; the text is inert on a terminal (safe_text.h json_inert).
std::string scan_json(const ScanOptions& options, const ScanResult& result);

}  // namespace kms::core
