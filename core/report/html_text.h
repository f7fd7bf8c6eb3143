// Text from the store or the run, made inert in HTML (docs/reports.md).
#pragma once
#include <string>
#include <string_view>

namespace kms::core {

/// Controls made visible as on the terminal (safe_text.h), then & < > " ' escaped.
std::string html_text(std::string_view text);

}  // namespace kms::core
