// The one place that decides, before any work, whether the paths of a run may
// be used as asked: every output (target, reports, --keep-db, the scratch
// folder's $TMPDIR) against each other, against the database being verified,
// and against the source (docs/commands.md, guarantee 9).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "failure.h"

namespace kms::core {

struct RunPaths {
  std::filesystem::path source;
  std::optional<std::filesystem::path> target;  ///< upgrade: written; verify: read
  bool target_written = false;
  bool force = false;
  std::vector<std::filesystem::path> reports;
  std::optional<std::filesystem::path> keep_db;
  bool uses_temporary_storage =
      false;  ///< the run's spools, SQLite's temporary files and a rehearsal's scratch folder go to $TMPDIR
};

/// Whether every path may be used; if not, why not, naming both paths (exit 2).
/// Paths are compared after resolving links and "..", and by inode where both exist.
Status check_run_paths(const RunPaths& paths);

/// Where a rehearsal makes its scratch folder: $TMPDIR, else /tmp.
std::filesystem::path scratch_parent();

}  // namespace kms::core
