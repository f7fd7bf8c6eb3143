// The report's records and summary as JSON values: the reference that the fast
// JSON Lines writer (report.h jsonl_record) is tested against, and the summary line.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

#include "report.h"

namespace kms::core {

nlohmann::ordered_json record_json(const FileSummary& f, std::optional<Verification> v);
nlohmann::ordered_json summary_json(const RunReport& r);
/// The --manifest check: the manifest's path and sha256, the counts, the verdict and each difference named.
nlohmann::ordered_json manifest_json(const ManifestResult& m);
/// What a report file ends with: the JSON Lines summary line (nothing for CSV).
std::string report_tail(ReportFormat format, const RunReport& r);

}  // namespace kms::core
