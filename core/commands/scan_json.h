// `scan --json`: the whole scan as one JSON document (docs/commands.md).
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "scan_command.h"

namespace kms::core {

/// Tokens are masked; key blobs and the values of unknown keys are never
/// included; the text is inert on a terminal (safe_text.h json_inert).
/// The document in pieces, in order: the lists that grow with the store are
/// written file by file, never held whole.
using ScanText = std::function<void(std::string_view)>;
/// scan --mailbox --json: the query and its matches alone, one JSON document.
void write_scan_matches_json(const ScanOptions& options, const ScanResult& result, const ScanText& out);

void write_scan_json(const ScanOptions& options, const ScanResult& result, const ScanText& out);

}  // namespace kms::core
