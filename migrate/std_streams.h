// Standard input, output and error: there before any file of the run is
// opened, and every write to them checked (docs/reports.md, "Exit codes").
#pragma once

namespace kms::cli {

/// Opens /dev/null on each of descriptors 0, 1 and 2 that is closed
/// (`2>&-`), so that no file of the run (a report, a temporary file) can
/// become one of them and receive the progress line. Runs before main.
void open_missing_standard_streams();

}  // namespace kms::cli
