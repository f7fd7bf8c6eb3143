// The per-file report as the database holds it (migration_report, with the
// sha256 from legacy_files), read back as FileSummary: the upgrade keeps its
// report there rather than in memory, and streams it out at the end.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "db_writer.h"
#include "file_analysis.h"
#include "sqlite_handle.h"

namespace kms::core {

/// The report row of `path`, nullopt when there is none. No bytes, no stamps,
/// no digests: those are not part of the report.
std::optional<FileSummary> read_report_row(Db& db, const std::string& path);

enum class RowFilter { All, WithIssues };
/// Every report row (or those with issues) in the order written (path order), with its verification column.
void for_each_report_row(Db& db, RowFilter filter,
                         const std::function<void(const FileSummary&, std::optional<Verification>)>& fn);

}  // namespace kms::core
