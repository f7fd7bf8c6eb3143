// A file's issues as the JSON text that the report and the database hold (docs/reports.md).
#pragma once
#include <string>

#include "issue.h"

namespace kms::core {

std::string issues_json_text(const Issues& issues);
/// The inverse of issues_json_text. Throws on text it did not write.
Issues issues_from_json(const std::string& text);

}  // namespace kms::core
